// sysmon.cpp: the monitor thread (Go's sysmon): retakes Ps from long syscalls, flags long-running
// Gs, fires overdue timers nobody else noticed, keeps the coarse clock, prints schedtrace.
//
// It is not an M and never runs Gs. Its tick starts at 20 us and doubles after 50 quiet ticks up
// to 10 ms (Go's backoff); entersyscall kicks it back to 20 us when it sleeps long, so a blocking
// syscall loses its P after ~20-40 us instead of up to 10 ms.
#include <pthread.h>
#include <stdio.h>

#include "goro/introspect_abi.h"
#include "introspect.h"
#include "sched.h"

namespace goro::detail {

constexpr int64_t kSyscallHandoffNs = 20'000;
constexpr int64_t kLongRunningNs = 10'000'000;
constexpr int64_t kMinDelayNs = 20'000, kMaxDelayNs = 10'000'000;

static pthread_t thread;
static std::atomic<uint32_t> stop{0};
static std::atomic<uint32_t> wake{0};        // futex word
static std::atomic<uint32_t> sleeping_long{0};
static uint64_t ticks;

void sysmon_kick() {
  // One load on the syscall path; the exchange makes only the first syscall pay the wakeup.
  if (sleeping_long.load(std::memory_order_relaxed) && sleeping_long.exchange(0)) {
    wake.store(1, std::memory_order_release);
    futex_wake(&wake, 1);
  }
}

// retake() returns whether it handed off a P.
static bool retake(int64_t now) {
  bool took = false;
  for (uint32_t i = 0; i < sched.gomaxprocs; i++) {
    P* p = &sched.allp[i];
    uint32_t s = p->status.load(std::memory_order_acquire);
    if (s == GORO_P_SYSCALL) {
      uint64_t t = p->syscalltick.load(std::memory_order_relaxed);
      if (p->sm_syscalltick != t) {
        p->sm_syscalltick = t;
        p->sm_when = now;
        continue;
      }
      if (now - p->sm_when < kSyscallHandoffNs) continue;
      // Nothing to do for the P and others are looking: leave it to its M (Go's retake).
      if (runqempty(p) && !sched.runqsize.load(std::memory_order_relaxed) &&
          sched.nmspinning.load() + sched.npidle.load() > 0 && now - p->sm_when < kLongRunningNs)
        continue;
      // CAS-acquire: pairs with entersyscall's store-release; a failed CAS means exitsyscall won.
      if (p->status.compare_exchange_strong(s, GORO_P_IDLE, std::memory_order_acquire)) {
        p->syscalltick.fetch_add(1, std::memory_order_relaxed);
        handoffp(p);
        took = true;
      }
    } else if (s == GORO_P_RUNNING) {
      uint64_t t = p->schedtick.load(std::memory_order_relaxed);
      if (p->sm_schedtick != t) {
        p->sm_schedtick = t;
        p->sm_when = now;
        continue;
      }
      if (now - p->sm_when < kLongRunningNs) continue;
      // Racy peek (the G may switch away right now): the flag is advisory, for viewers.
      M* m = p->m.load(std::memory_order_acquire);                    // pairs with acquirep's release
      G* g = m ? m->curg.load(std::memory_order_acquire) : nullptr;  // pairs with execute_prep's release
      if (g && !(g->flags.load(std::memory_order_relaxed) & GORO_GF_LONG_RUNNING)) {
        g->flags.fetch_or(GORO_GF_LONG_RUNNING, std::memory_order_relaxed);
        __atomic_fetch_or(&g->rec->flags, GORO_GF_LONG_RUNNING, __ATOMIC_RELAXED);
      }
    }
  }
  return took;
}

static void* sysmon_main(void*) {
  timer_thread_slot(kMaxM);
  int64_t delay = kMinDelayNs;
  int idle = 0;
  DebugOpts opts = debug_opts();
  int64_t last_trace = nanotime();
  while (!stop.load(std::memory_order_acquire)) {
    if (delay >= 1'000'000) sleeping_long.store(1);
    wake.store(0, std::memory_order_relaxed);
    if (!stop.load()) futex_wait(&wake, 0, delay);
    sleeping_long.store(0, std::memory_order_relaxed);
    int64_t now = nanotime();
    coarse_now.store(now, std::memory_order_relaxed);
    ticks++;
    __atomic_store_n(&seg.desc->sysmon_ticks, ticks, __ATOMIC_RELAXED);
    __atomic_store_n(&seg.desc->global_runq_len, uint64_t(sched.runqsize.load(std::memory_order_relaxed)),
                     __ATOMIC_RELAXED);
    bool busy = retake(now) || sched.nsyscall.load(std::memory_order_relaxed) > 0;
    int64_t tn = timer_next();
    if (tn && now - tn > 1'000'000 && !sched.poller.load()) {
      // Overdue by 1 ms and nobody polls: every P is busy. Counted in nexternal before a timer
      // leaves the heap, so checkdead never sees a G readied by us as neither queued nor pending.
      sched.nexternal.fetch_add(1);
      run_timers(now);
      sched.nexternal.fetch_sub(1);
      busy = true;
    }
    if (opts.schedtrace_ms > 0 && now - last_trace >= opts.schedtrace_ms * 1'000'000) {
      last_trace = now;
      schedtrace(opts.scheddetail);
    }
    if (busy) {
      idle = 0;
      delay = kMinDelayNs;
    } else if (++idle > 50) {
      delay = std::min(delay * 2, kMaxDelayNs);
    }
    if (opts.schedtrace_ms > 0) delay = std::min(delay, opts.schedtrace_ms * 1'000'000);
    if (sched.npidle.load() < sched.gomaxprocs) delay = std::min<int64_t>(delay, 1'000'000);  // coarse clock ≤1 ms while Gs run
  }
  return nullptr;
}

void sysmon_start() {
  stop.store(0);
  ticks = 0;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 256 << 10);
  if (pthread_create(&thread, &a, sysmon_main, nullptr) != 0) fatal("goro: cannot start sysmon");
  pthread_attr_destroy(&a);
}

void sysmon_stop() {
  stop.store(1, std::memory_order_release);
  wake.store(1);
  futex_wake(&wake, 1);
  pthread_join(thread, nullptr);
}

}  // namespace goro::detail
