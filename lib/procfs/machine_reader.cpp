// machine_reader.cpp: MachineSample from libproc2's stat, meminfo and misc APIs.
#include "procfs/machine_reader.h"

#include <libproc2/meminfo.h>
#include <libproc2/misc.h>
#include <libproc2/stat.h>

#include <cstring>

#include "model/error.h"
#include "sys/clock.h"

namespace ts::procfs {

namespace {

// kTicItems are the per-CPU items reaped, in the order ticks_of() reads them.
enum stat_item kTicItems[] = {STAT_TIC_ID,     STAT_TIC_USER,    STAT_TIC_NICE,   STAT_TIC_SYSTEM,
                              STAT_TIC_IDLE,   STAT_TIC_IOWAIT,  STAT_TIC_IRQ,    STAT_TIC_SOFTIRQ,
                              STAT_TIC_STOLEN, STAT_TIC_GUEST,   STAT_TIC_GUEST_NICE};
constexpr int kNumTic = sizeof kTicItems / sizeof kTicItems[0];

CpuTicks ticks_of(const stat_stack* s) {
  CpuTicks t;
  uint64_t* dst[] = {&t.user, &t.nice, &t.system, &t.idle, &t.iowait, &t.irq, &t.softirq, &t.steal, &t.guest, &t.guest_nice};
  for (int i = 1; i < kNumTic; i++) *dst[i - 1] = s->head[i].result.ull_int;
  return t;
}

}  // namespace

MachineReader::MachineReader() {
  if (procps_stat_new(&stat_) < 0 || procps_meminfo_new(&mem_) < 0) {
    if (stat_) procps_stat_unref(&stat_);
    if (mem_) procps_meminfo_unref(&mem_);
    throw Error("cannot read /proc/stat or /proc/meminfo: is /proc mounted?");
  }
}

MachineReader::~MachineReader() {
  procps_stat_unref(&stat_);
  procps_meminfo_unref(&mem_);
}

MachineSample MachineReader::read() {
  MachineSample m;
  m.taken_ns = sys::monotonic_ns();
  stat_reaped* r = procps_stat_reap(stat_, STAT_REAP_CPUS_ONLY, kTicItems, kNumTic);
  if (!r) throw Error("cannot read /proc/stat: " + std::string(strerror(errno)));
  m.all = ticks_of(r->summary);
  if (r->cpus) {
    m.cpus.reserve(size_t(r->cpus->total));
    for (int i = 0; i < r->cpus->total; i++) {
      m.cpu_ids.push_back(r->cpus->stacks[i]->head[0].result.s_int);
      m.cpus.push_back(ticks_of(r->cpus->stacks[i]));
    }
  }
  m.ctxt = STAT_GET(stat_, STAT_SYS_CTX_SWITCHES, ul_int);
  m.forks = STAT_GET(stat_, STAT_SYS_PROC_CREATED, ul_int);
  m.procs_running = uint32_t(STAT_GET(stat_, STAT_SYS_PROC_RUNNING, ul_int));
  m.procs_blocked = uint32_t(STAT_GET(stat_, STAT_SYS_PROC_BLOCKED, ul_int));
  constexpr uint64_t kKiB = 1024;
  m.mem_total = MEMINFO_GET(mem_, MEMINFO_MEM_TOTAL, ul_int) * kKiB;
  m.mem_free = MEMINFO_GET(mem_, MEMINFO_MEM_FREE, ul_int) * kKiB;
  m.mem_available = MEMINFO_GET(mem_, MEMINFO_MEM_AVAILABLE, ul_int) * kKiB;
  m.mem_buffers = MEMINFO_GET(mem_, MEMINFO_MEM_BUFFERS, ul_int) * kKiB;
  m.mem_cached = MEMINFO_GET(mem_, MEMINFO_MEM_CACHED_ALL, ul_int) * kKiB;
  m.mem_shared = MEMINFO_GET(mem_, MEMINFO_MEM_SHARED, ul_int) * kKiB;
  m.swap_total = MEMINFO_GET(mem_, MEMINFO_SWAP_TOTAL, ul_int) * kKiB;
  m.swap_free = MEMINFO_GET(mem_, MEMINFO_SWAP_FREE, ul_int) * kKiB;
  procps_loadavg(&m.load1, &m.load5, &m.load15);
  double idle = 0;
  procps_uptime(&m.uptime_s, &idle);
  return m;
}

}  // namespace ts::procfs
