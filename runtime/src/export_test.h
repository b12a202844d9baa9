// export_test.h: the few internals tests may see (Go's export_test.go). Not installed, not API.
// Call these from a G while run() is active, except threads_alive() which also works after it.
#pragma once
#include <stdint.h>

#include "goro/introspect_abi.h"
#include "introspect.h"
#include "sched.h"

namespace goro::test {

// live_goroutines() is Gs created and not yet exited (exact when the others are quiescent).
inline int64_t live_goroutines() {
  int64_t n = 0;
  for (uint32_t i = 0; i < detail::sched.gomaxprocs; i++) n += detail::sched.allp[i].ngs_live.load();
  return n;
}

// stacks_in_use() is stack slots carved from the arena minus those resting in the G pools.
inline int64_t stacks_in_use() {
  int64_t pooled;
  {
    std::lock_guard<std::mutex> l(detail::sched.lock);
    pooled = detail::sched.ngfree.load();
  }
  for (uint32_t i = 0; i < detail::sched.gomaxprocs; i++) pooled += detail::sched.allp[i].ngfree.load();
  return int64_t(detail::stack_slots_used()) - pooled;
}

// stack_slots_carved() is how many stack slots this run() has taken from the arena.
inline uint32_t stack_slots_carved() { return detail::stack_slots_used(); }

// threads_alive() is M threads started by the runtime that have not exited (0 after run()).
inline uint32_t threads_alive() { return detail::live_threads(); }

// self_stack() is the calling G's usable stack [lo, hi).
inline void self_stack(uintptr_t* lo, uintptr_t* hi) {
  detail::G* g = detail::current_g();
  *lo = g->ctx.stack_lo;
  *hi = g->ctx.stack_hi;
}

// segment_name() is the published segment's shm name ("/goro.<pid>"), empty when not shared.
inline const char* segment_name() { return detail::seg.shared ? detail::seg.name : ""; }

// self_record() is the calling G's published record, copied under its seq counter as an outside
// reader would (a torn copy is retried).
inline goro_g_rec self_record() {
  const goro_g_rec* src = detail::current_g()->rec;
  goro_g_rec r{};
  for (;;) {
    uint32_t s1 = __atomic_load_n(&src->seq, __ATOMIC_ACQUIRE);
    auto* from = reinterpret_cast<const uint64_t*>(src);
    auto* to = reinterpret_cast<uint64_t*>(&r);
    for (size_t i = 0; i < sizeof r / 8; i++) to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
    GORO_SEQ_FENCE(__ATOMIC_ACQUIRE);
    if (!(s1 & 1) && __atomic_load_n(&src->seq, GORO_SEQ_ORDER) == s1) return r;
  }
}

// mutex_can_spin() is whether a G contending for a goro::mutex would busy-wait in spin round iter.
inline bool mutex_can_spin(int iter) { return detail::sync_can_spin(iter); }

// sysmon_ticks() is how many times sysmon has woken since run() started (its published counter).
inline uint64_t sysmon_ticks() { return __atomic_load_n(&detail::seg.desc->sysmon_ticks, __ATOMIC_RELAXED); }

}  // namespace goro::test
