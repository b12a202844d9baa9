// machine.h: MachineSample, the whole machine at one instant (CPU ticks per core, memory, load,
// context switches, tasks created), and MachineRates, how it moved between two samples. What top's
// header meters and graphs show. Plain data, no I/O.
#pragma once
#include <cstdint>
#include <vector>

namespace ts {

// CpuTicks is one CPU's (or the sum over all CPUs') time by kind, in clock ticks (USER_HZ), as
// /proc/stat counts it. The kernel counts guest time inside user (and guest_nice inside nice).
struct CpuTicks {
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0;
  uint64_t irq = 0, softirq = 0, steal = 0, guest = 0, guest_nice = 0;

  // total() is every tick counted once (guest ticks are already inside user and nice).
  uint64_t total() const { return user + nice + system + idle + iowait + irq + softirq + steal; }
};

// MachineSample is what the machine-wide counters said at `taken_ns`.
struct MachineSample {
  uint64_t taken_ns = 0;        // CLOCK_MONOTONIC when read
  CpuTicks all;                 // the "cpu" line: every CPU summed
  std::vector<int32_t> cpu_ids; // the id of each entry of `cpus` (offline CPUs are absent)
  std::vector<CpuTicks> cpus;   // per CPU, in id order
  uint64_t mem_total = 0;       // bytes (MemTotal)
  uint64_t mem_free = 0;        // bytes (MemFree)
  uint64_t mem_available = 0;   // bytes (MemAvailable): what can be had without swapping
  uint64_t mem_buffers = 0;     // bytes (Buffers)
  uint64_t mem_cached = 0;      // bytes (Cached + SReclaimable, as free(1) counts cache)
  uint64_t mem_shared = 0;      // bytes (Shmem)
  uint64_t swap_total = 0;      // bytes
  uint64_t swap_free = 0;       // bytes
  double load1 = 0, load5 = 0, load15 = 0;  // load averages
  double uptime_s = 0;          // seconds since boot
  uint64_t ctxt = 0;            // context switches since boot, every CPU
  uint64_t forks = 0;           // tasks created since boot (processes and threads: /proc/stat "processes")
  uint32_t procs_running = 0;   // tasks runnable now
  uint32_t procs_blocked = 0;   // tasks in uninterruptible I/O wait now

  // mem_used() is what free(1) calls used: total - free - buffers - cache.
  uint64_t mem_used() const;
};

// CpuShare is one CPU's time over an interval, as percentages of that interval (0..100 each).
// user and nice exclude guest time, which is shown on its own, as htop does.
struct CpuShare {
  double user = 0, nice = 0, system = 0, irq = 0, softirq = 0, steal = 0, iowait = 0, guest = 0;

  // busy() is everything but idle and iowait.
  double busy() const { return user + nice + system + irq + softirq + steal + guest; }
};

// MachineRates is how the machine's counters moved between two samples.
struct MachineRates {
  double seconds = 0;            // the interval
  CpuShare all;                  // every CPU together (100 = every CPU busy)
  std::vector<int32_t> cpu_ids;  // ids of `cpus`, as in the later sample
  std::vector<CpuShare> cpus;    // per CPU present in both samples
  double ctxt_ps = 0;            // context switches per second, machine-wide
  double forks_ps = 0;           // tasks created per second (processes and threads)
};

// share() is how `cur` moved from `prev` as percentages of the ticks that passed; all zero when
// none passed or a counter went backwards (a CPU went offline and came back).
CpuShare share(const CpuTicks& prev, const CpuTicks& cur);

// diff() computes the rates from `prev` to `cur`. Returns zero rates when cur is not later.
MachineRates diff(const MachineSample& prev, const MachineSample& cur);

}  // namespace ts
