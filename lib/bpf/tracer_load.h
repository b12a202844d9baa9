// tracer_load.h: how a trace skeleton is loaded: open -> set knobs -> choose tp_btf/ or raw_tp/
// programs -> load -> attach, falling back to raw_tp/ when tp_btf/ does not load or attach.
// Internal to lib/bpf (the tracers include it; users include proc_tracer.h / sched_tracer.h).
#pragma once
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bpf/bpf_common.h"
#include "bpf/trace_stream.h"
#include "model/error.h"

namespace ts::bpf {

// LinkDeleter detaches a program; Links holds the attached programs of a tracer.
struct LinkDeleter {
  // operator() destroys the link (detaching the program); null is ignored.
  void operator()(bpf_link* l) const {
    if (l) bpf_link__destroy(l);
  }
};
using Links = std::vector<std::unique_ptr<bpf_link, LinkDeleter>>;

// set_filter_knobs() writes a TraceFilter, the attach kind and this process's pid namespace (ids
// are filtered and reported as it numbers them) into a skeleton's read-only data.
// Throws ts::Error (status 2) for a name longer than the kernel's 15 bytes.
template <class Rodata>
void set_filter_knobs(Rodata* ro, const TraceFilter& f, AttachKind kind) {
  if (f.comm.size() > 15) throw Error("--comm " + f.comm + ": task names are at most 15 bytes", 2);
  ro->pidns_ino = reader_pidns();
  ro->targ_tgid = static_cast<__u32>(f.pid);
  ro->targ_tid = static_cast<__u32>(f.tid);
  ro->filter_comm = f.comm.empty() ? 0 : 1;
  for (size_t i = 0; i < sizeof ro->targ_comm; ++i) ro->targ_comm[i] = i < f.comm.size() ? f.comm[i] : 0;
  ro->use_raw_tp = kind == AttachKind::RawTp;
}

// choose_programs() turns autoload on for the programs named "<kind>_<hook>" (kind "btf" or "raw")
// whose hook `wanted` accepts, and off for all others.
void choose_programs(bpf_object* obj, AttachKind kind, const std::function<bool(const std::string& hook)>& wanted);

// attach_chosen() attaches every program whose autoload is on (iter/ programs excepted), adding its link to `links`.
// Returns 0, or a negative errno with `failed` set to the program's section name.
int attach_chosen(bpf_object* obj, Links& links, std::string& failed);

// program_costs() reads the run-time statistics of every loaded program of `obj`.
std::vector<ProgramCost> program_costs(bpf_object* obj);

// load_tracer() opens, prepares (`prepare(skel, kind)` sets knobs and chooses programs), loads and
// attaches a skeleton, trying the kinds of attach_kinds_to_try() in order. On success `used` is the
// kind that worked. Throws ts::Error naming `what` and every failure.
template <class Skel>
using OwnedSkel = SkelPtr<Skel, &Skel::destroy>;

template <class Skel, class Prepare>
OwnedSkel<Skel> load_tracer(const std::string& what, Prepare prepare, Links& links, AttachKind& used) {
  setup_libbpf();
  std::string failures;
  DECLARE_LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = core_btf_path());
  for (AttachKind kind : attach_kinds_to_try()) {
    OwnedSkel<Skel> skel{Skel::open(&opts)};
    if (!skel) throw Error(explain_load_failure(what, -errno));
    prepare(skel.get(), kind);
    std::string failed = what + " (" + attach_kind_name(kind) + ")";
    int err = Skel::load(skel.get());
    if (!err) {
      links.clear();
      err = attach_chosen(skel->obj, links, failed);
    }
    if (!err) {
      used = kind;
      return skel;
    }
    links.clear();
    if (!failures.empty()) failures += "; then ";
    failures += explain_load_failure(failed, err);
  }
  throw Error(failures);
}

}  // namespace ts::bpf
