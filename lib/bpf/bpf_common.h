// bpf_common.h: what every BPF user in lib/bpf shares: the privilege/BTF probe, libbpf's log,
// and an owning pointer for generated skeletons.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace ts::bpf {

// Support says whether this process may load BPF programs, and if not, why in one line.
struct Support {
  bool usable = false;
  bool privileged = false;  // has CAP_SYS_ADMIN or CAP_BPF+CAP_PERFMON (true when usable)
  std::string why;          // empty when usable; otherwise what is missing and what to do
};

// probe_support() checks the cheap preconditions: kernel BTF at /sys/kernel/btf/vmlinux and
// CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN) in the effective set. It does not load anything:
// a feature is only known to work once a program using it has loaded and attached.
Support probe_support();

// core_btf_path() is what to give libbpf as btf_custom_path when opening a skeleton: null with
// CAP_SYS_ADMIN, else the kernel's own BTF file. A CO-RE relocation whose type vmlinux lacks (a
// fallback flavour for older kernels) makes libbpf search the modules' BTF, which needs
// CAP_SYS_ADMIN and fails the load under CAP_BPF+CAP_PERFMON alone; with the kernel's BTF given
// as the custom path, libbpf looks nowhere else (our programs use no module types).
const char* core_btf_path();

// reader_pidns() is the inode of this process's pid namespace (/proc/self/ns/pid), the knob
// bpf/pidns.bpf.h translates task ids with; 0 in the initial namespace (nothing to translate).
// Throws ts::Error when it cannot be read (no /proc).
uint32_t reader_pidns();

// setup_libbpf() routes libbpf's messages into a buffer (printed to stderr only when
// TASKSCOPE_BPF_DEBUG=1) so a failure can be explained in one line. Idempotent, thread-safe.
void setup_libbpf();

// last_libbpf_error() returns the last warning libbpf printed (the verifier's or loader's
// complaint), trimmed to one line; empty when none.
std::string last_libbpf_error();

// explain_load_failure() turns a failed open/load/attach (a negative errno from libbpf) into a
// one-line message naming `what` (e.g. "tp_btf/sched_switch"), the errno text and libbpf's last word.
std::string explain_load_failure(const std::string& what, int err);

// SkelPtr owns a bpftool-generated skeleton and destroys it with its __destroy function:
//   SkelPtr<task_iter_bpf, task_iter_bpf__destroy> skel{task_iter_bpf__open()};
template <class Skel, void (*Destroy)(Skel*)>
struct SkelDeleter {
  // operator() destroys the skeleton (detaches, unloads, frees); a null pointer is ignored.
  void operator()(Skel* s) const {
    if (s) Destroy(s);
  }
};
template <class Skel, void (*Destroy)(Skel*)>
using SkelPtr = std::unique_ptr<Skel, SkelDeleter<Skel, Destroy>>;

}  // namespace ts::bpf
