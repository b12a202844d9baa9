// bpf_floor.h: what the BPF benchmarks (snapshot_bench, trace_sched_overhead) share: pinning to a
// CPU, the load average line, a program's kernel run time from bpf_stats, and the floors: empty
// programs on the same hooks, whose cost no program of ours can undercut.
#pragma once
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace ts::bench {

// pin_thread() pins the calling thread to `cpu` (children it spawns inherit it); false when it cannot.
inline bool pin_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// unpin_thread() lets the calling thread run on every CPU again.
inline void unpin_thread() {
  cpu_set_t all;
  CPU_ZERO(&all);
  for (int i = 0; i < CPU_SETSIZE; ++i) CPU_SET(i, &all);
  pthread_setaffinity_np(pthread_self(), sizeof all, &all);
}

// load_line() is "load average 1.23 0.98 0.75" (the conditions every figure is taken in).
inline std::string load_line() {
  double l[3] = {};
  getloadavg(l, 3);
  char b[64];
  std::snprintf(b, sizeof b, "load average %.2f %.2f %.2f", l[0], l[1], l[2]);
  return b;
}

// RunStats is a program's kernel counters (bpf_stats): runs and total ns in the program.
struct RunStats {
  uint64_t runs = 0, ns = 0;
};

// run_stats() reads program `fd`'s counters (zero unless bpf_stats are on).
inline RunStats run_stats(int fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return {};
  return {info.run_cnt, info.run_time_ns};
}

// EmptyProgram is a BPF program that returns 0 at once, loaded on a BTF-typed hook: the floor of
// what any program on that hook costs (the kernel's own work to call one).
class EmptyProgram {
 public:
  // EmptyProgram() loads it for the kernel function or tracepoint type `btf_name` of kind `kind`
  // (BTF_KIND_TYPEDEF "btf_trace_sched_switch" for tp_btf, BTF_KIND_FUNC "bpf_iter_task" for an
  // iterator) with attach type `attach`. fd() < 0 when the kernel refuses it.
  EmptyProgram(const char* btf_name, int kind, bpf_attach_type attach) {
    btf* vmlinux = btf__load_vmlinux_btf();
    const int type = vmlinux ? btf__find_by_name_kind(vmlinux, btf_name, kind) : -1;
    btf__free(vmlinux);
    if (type < 0) return;
    const bpf_insn insns[] = {{BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0}, {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach, .attach_btf_id = static_cast<__u32>(type));
    fd_ = bpf_prog_load(BPF_PROG_TYPE_TRACING, "empty_floor", "GPL", insns, 2, &opts);
  }
  ~EmptyProgram() {
    if (fd_ >= 0) close(fd_);
  }
  EmptyProgram(const EmptyProgram&) = delete;
  EmptyProgram& operator=(const EmptyProgram&) = delete;
  // fd() is the program (-1: refused).
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace ts::bench
