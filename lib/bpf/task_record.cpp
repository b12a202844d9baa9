// task_record.cpp: the kernel's state and cputime rules, replayed in user space.
#include "bpf/task_record.h"

#include <cstring>

#include "bpf/task_reader.h"
#include "model/fields.h"

namespace ts::bpf {

namespace {

// TASK_* bits from include/linux/sched.h; stable UAPI-like values that BTF does not carry.
constexpr uint32_t kInterruptible = 0x1, kUninterruptible = 0x2, kStopped = 0x4, kTraced = 0x8;
constexpr uint32_t kExitDead = 0x10, kExitZombie = 0x20, kParked = 0x40, kNoload = 0x400;
constexpr uint32_t kRtlockWait = 0x1000, kFrozen = 0x8000;
constexpr uint32_t kReport =
    kInterruptible | kUninterruptible | kStopped | kTraced | kExitDead | kExitZombie | kParked;
constexpr uint32_t kIdle = kUninterruptible | kNoload;
constexpr uint32_t kReportIdle = kReport + 1;

int fls(uint32_t x) { return x ? 32 - __builtin_clz(x) : 0; }

// mul_div() is a*b/c without overflowing 64 bits, as the kernel's mul_u64_u64_div_u64().
uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c) {
  uint64_t ab;
  if (!__builtin_mul_overflow(a, b, &ab)) return ab / c;  // the common case: no 128-bit divide
  return static_cast<uint64_t>(static_cast<unsigned __int128>(a) * b / c);
}

}  // namespace

char state_letter(uint32_t state, uint32_t exit_state) {
  static constexpr char kLetters[] = "RSDTtXZPI";
  uint32_t s = (state | exit_state) & kReport;
  if ((state & kIdle) == kIdle) s = kReportIdle;
  if (state & (kRtlockWait | kFrozen)) s = kUninterruptible;
  const int i = fls(s);
  return i < static_cast<int>(sizeof kLetters - 1) ? kLetters[i] : '?';
}

CpuTimes cputime_adjust(CpuTimes raw, uint64_t rtime, CpuTimes prev) {
  // The kernel keeps prev when rtime has not moved past it (a race with an update).
  if (prev.stime + prev.utime >= rtime) return prev;
  uint64_t stime = raw.stime, utime = raw.utime;
  if (stime == 0) {
    utime = rtime;
  } else if (utime == 0) {
    stime = rtime;
  } else {
    stime = mul_div(stime, rtime, stime + utime);
  }
  if (stime > rtime) stime = rtime;
  if (stime < prev.stime) stime = prev.stime;
  utime = rtime - stime;
  if (utime < prev.utime) {
    utime = prev.utime;
    stime = rtime - utime;
  }
  return {utime, stime};
}

void fill_task(const task_rec& r, uint32_t fields, Task& t, std::string_view tail) {
  t.tid = r.pid;
  t.tgid = r.tgid;
  t.ppid = r.ppid;
  const std::string_view kname = record_kname(r, tail);
  if (!kname.empty()) t.comm.assign(kname);
  else t.comm.assign(r.comm, strnlen(r.comm, sizeof r.comm));
  t.kthread = (r.flags & TASK_REC_PF_KTHREAD) != 0;
  if (has(fields, Field::State)) {
    t.state = state_letter(r.state, r.exit_state);
    t.cpu = r.cpu;
  }
  if (has(fields, Field::Times)) {
    const CpuTimes c = cputime_adjust({r.utime, r.stime}, r.sum_exec_runtime, {r.prev_utime, r.prev_stime});
    t.utime_ns = c.utime;
    t.stime_ns = c.stime;
    t.start_ns = r.start_boottime;
  }
  if (has(fields, Field::Sched)) {
    t.nice = r.static_prio - 120;
    t.prio = r.prio - 100;  // MAX_RT_PRIO: /proc's prio column
    t.rtprio = static_cast<int32_t>(r.rt_priority);
    t.policy = static_cast<SchedPolicy>(r.policy & 0xff);  // SCHED_RESET_ON_FORK is not a policy
  }
  if (has(fields, Field::Switches)) {
    t.nvcsw = r.nvcsw;
    t.nivcsw = r.nivcsw;
  }
  if (has(fields, Field::Delay) && (r.have & TASK_REC_HAVE_SCHEDINFO)) {
    t.run_delay_ns = r.run_delay;
    t.pcount = r.pcount;
  }
}

}  // namespace ts::bpf
