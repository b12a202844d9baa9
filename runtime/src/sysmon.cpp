// sysmon.cpp: the monitor thread (Go's sysmon): retakes Ps from long syscalls, flags long-running
// Gs, fires overdue timers nobody else noticed, keeps the coarse clock, prints schedtrace.
//
// It never runs Gs or holds a P, but as in Go it has an M id and an M record (flagged
// GORO_MF_SYSMON, never parked, never spinning), so threads= and the M table count every thread
// the runtime made. A G that holds its P more than 10 ms without a scheduling point (Go's
// forcePreemptNS; goro never preempts) gets GORO_GF_LONG_RUNNING in its record until it next
// stops running, and schedtrace names it. Its delay follows Go's: 20 us, doubled after 50 quiet ticks
// (1 ms with nothing to retake) up to 10 ms, back to 20 us on activity. While any P runs, the delay
// stays at most 1 ms: the coarse clock that stamps published run/wait starts is then at most 1 ms
// stale. When every P is idle (Go's sysmonwait) it sleeps on a futex until pidleget_locked() wakes it
// (sysmon_wake_locked: a P is about to run Gs again), or until 10 ms past the next timer as a
// safety net for the overdue-timer check; the waker refreshes the coarse clock first, so the first
// records published after a long idle are not stamped with a stale time. An idle process therefore
// costs no sysmon wakeups at all. entersyscall kicks a sysmon that sleeps 1 ms or more back to
// 20 us, so a blocking syscall loses its P after ~20-40 us instead of up to 10 ms.
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "goro/introspect_abi.h"
#include "introspect.h"
#include "sched.h"

namespace goro::detail {

constexpr int64_t kSyscallHandoffNs = 20'000;
constexpr int64_t kLongRunningNs = 10'000'000;
constexpr int64_t kMinDelayNs = 20'000, kMaxDelayNs = 10'000'000;
constexpr int64_t kBusyMaxDelayNs = 1'000'000;  // while a P runs: bounds the coarse clock's staleness
constexpr int kIdleTicksBeforeBackoff = 50;
// kDeepSleepAfterNs: every P seen idle this long before sysmonwait, so a P that idles for
// microseconds between bursts does not make each burst pay a sysmon wakeup (at most ~1000/s).
constexpr int64_t kDeepSleepAfterNs = 1'000'000;

static pthread_t thread;
static std::atomic<uint32_t> stop{0};
static std::atomic<uint32_t> wake{0};  // futex word: 1 = woken (kick, wake, stop)
static std::atomic<uint32_t> sleeping_long{0};
static bool sysmonwait = false;  // (sched.lock) asleep until a P leaves the idle list
static std::atomic<uint64_t> ticks{0};

static void wake_up() {
  wake.store(1, std::memory_order_release);  // pairs with the acquire load after futex_wait
  futex_wake(&wake, 1);
}

void sysmon_kick() {
  // One load on the syscall path; the exchange makes only the first syscall pay the wakeup.
  if (sleeping_long.load(std::memory_order_relaxed) && sleeping_long.exchange(0)) wake_up();
}

void sysmon_wake_locked() {
  if (!sysmonwait) return;  // a plain load under sched.lock: the cost when sysmon is awake
  sysmonwait = false;
  coarse_now.store(nanotime(), std::memory_order_relaxed);  // stale by the whole idle period
  wake_up();
}

// Retake is what one pass over the Ps found: a P handed off, or a P in a syscall not yet 20 us
// old (a handoff decision is due within 20 us: keep the short delay).
struct Retake {
  bool took = false, pending = false;
};

static Retake retake(int64_t now) {
  Retake r;
  for (uint32_t i = 0; i < sched.gomaxprocs; i++) {
    P* p = &sched.allp[i];
    uint32_t s = p->status.load(std::memory_order_acquire);
    // The run key moves at every scheduling point and syscall: a G that just came back from a
    // syscall has held its P only since then.
    uint64_t key = p->schedtick.load(std::memory_order_relaxed) + p->syscalltick.load(std::memory_order_relaxed);
    if (p->sm_runkey != key) {
      p->sm_runkey = key;
      // A fresh clock, not the pass's `now`: the OS may have kept sysmon off the CPU between that
      // read and this load, and a stamp from before the G started would flag it early.
      p->sm_run_when = nanotime();
      p->sm_hog = nullptr;  // the G it flagged clears the flag itself when it stops (pub_g_stopped)
    }
    if (s == GORO_P_SYSCALL) {
      uint64_t t = p->syscalltick.load(std::memory_order_relaxed);
      if (p->sm_syscalltick != t) {
        p->sm_syscalltick = t;
        p->sm_when = now;
        r.pending = true;
        continue;
      }
      if (now - p->sm_when < kSyscallHandoffNs) {
        r.pending = true;
        continue;
      }
      // Nothing to do for the P and others are looking: leave it to its M (Go's retake).
      if (runqempty(p) && !sched.runqsize.load(std::memory_order_relaxed) &&
          sched.nmspinning.load() + sched.npidle.load() > 0 && now - p->sm_when < kLongRunningNs)
        continue;
      // CAS-acquire: pairs with entersyscall's store-release; a failed CAS means exitsyscall won.
      if (p->status.compare_exchange_strong(s, GORO_P_IDLE, std::memory_order_acquire)) {
        p->syscalltick.fetch_add(1, std::memory_order_relaxed);
        handoffp(p);
        r.took = true;
      }
    } else if (s == GORO_P_RUNNING) {
      if (now - p->sm_run_when < kLongRunningNs || p->sm_hog) continue;
      // Racy peek (the G may switch away right now): the flag is advisory, for viewers, and
      // means something only while the record says "running".
      M* m = p->m.load(std::memory_order_acquire);                    // pairs with acquirep's release
      G* g = m ? m->curg.load(std::memory_order_acquire) : nullptr;  // pairs with execute_prep's release
      if (g) {
        p->sm_hog = g;
        g->flags.fetch_or(GORO_GF_LONG_RUNNING, std::memory_order_relaxed);
        __atomic_fetch_or(&g->rec->flags, GORO_GF_LONG_RUNNING, __ATOMIC_RELAXED);
        // It may have stopped since the peek, and cleared its flag before we set it: take it back
        // (the G clears it too, when it stops; the flag only matters while "running").
        if (p->schedtick.load(std::memory_order_relaxed) + p->syscalltick.load(std::memory_order_relaxed) != key) {
          g->flags.fetch_and(~GORO_GF_LONG_RUNNING, std::memory_order_relaxed);
          __atomic_fetch_and(&g->rec->flags, ~GORO_GF_LONG_RUNNING, __ATOMIC_RELAXED);
          p->sm_hog = nullptr;
        }
      }
    }
  }
  return r;
}

// sleep_idle() is Go's sysmonwait: when every P is idle nothing needs watching, so sleep until a P
// leaves the idle list. False when a P was taken meanwhile (no sleep).
static bool sleep_idle(int64_t now) {
  {
    std::lock_guard<std::mutex> l(sched.lock);
    wake.store(0);  // before the stop check: pairs with sysmon_stop's store of stop, then of wake
    if (sched.npidle.load() != sched.gomaxprocs || stop.load()) return false;
    sysmonwait = true;
  }
  int64_t tn = timer_next();
  futex_wait(&wake, 0, tn ? std::max<int64_t>(0, tn - now) + kMaxDelayNs : -1);
  std::lock_guard<std::mutex> l(sched.lock);
  sysmonwait = false;
  return true;
}

// sleep_delay() waits `delay` unless kicked or stopped; true when woken early.
static bool sleep_delay(int64_t delay) {
  wake.store(0);  // seq_cst, before the flag and the stop check: a kick or stop after them is seen
  if (delay >= kBusyMaxDelayNs) sleeping_long.store(1);
  if (!stop.load()) futex_wait(&wake, 0, delay);
  sleeping_long.store(0, std::memory_order_relaxed);
  return wake.load(std::memory_order_acquire) != 0;
}

// pub_sysmon_m() publishes sysmon's M record: alive with tid, or gone (tid 0).
static void pub_sysmon_m(M* m, pid_t tid) {
  goro_m_rec& r = *m->rec;
  rec_begin(r.seq);
  st(r.id, m->id);
  st(r.tid, int32_t(tid));
  st(r.p_id, int32_t(-1));
  st(r.flags, uint32_t(GORO_MF_SYSMON));
  rec_end(r.seq);
}

static void* sysmon_main(void* arg) {
  M* self = static_cast<M*>(arg);
  self->tid = pid_t(::syscall(SYS_gettid));
  pub_sysmon_m(self, self->tid);
  timer_thread_slot(kMaxM);
  int64_t delay = kMinDelayNs;
  int idle = 0;
  DebugOpts opts = debug_opts();
  int64_t last_trace = nanotime();
  bool kicked = false;
  int64_t all_idle_since = 0;  // when this tick and every tick since saw all Ps idle; 0: not so
  while (!stop.load(std::memory_order_acquire)) {
    int64_t now = nanotime();
    coarse_now.store(now, std::memory_order_relaxed);
    uint64_t n = ticks.fetch_add(1, std::memory_order_relaxed) + 1;
    __atomic_store_n(&seg.desc->sysmon_ticks, n, __ATOMIC_RELAXED);
    __atomic_store_n(&seg.desc->global_runq_len, uint64_t(sched.runqsize.load(std::memory_order_relaxed)),
                     __ATOMIC_RELAXED);
    Retake r = retake(now);
    bool busy = r.took;
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
    } else if (r.pending || kicked) {
      delay = kMinDelayNs;  // a handoff decision is due; not activity: the backoff resumes after it
    } else if (++idle > kIdleTicksBeforeBackoff) {
      delay = std::min(delay * 2, kMaxDelayNs);
    }
    bool all_idle = sched.npidle.load() == sched.gomaxprocs;
    if (!all_idle) all_idle_since = 0;
    else if (!all_idle_since) all_idle_since = now;
    if (opts.schedtrace_ms > 0) {
      delay = std::min(delay, opts.schedtrace_ms * 1'000'000);
    } else if (all_idle && now - all_idle_since >= kDeepSleepAfterNs && sleep_idle(now)) {
      all_idle_since = 0;
      kicked = false;
      continue;
    }
    if (!all_idle) delay = std::min(delay, kBusyMaxDelayNs);
    kicked = sleep_delay(delay);
  }
  pub_sysmon_m(self, 0);
  return nullptr;
}

void sysmon_start() {
  stop.store(0);
  ticks.store(0);
  M* m = new_m_struct(true);  // an M id and record, as Go's sysmon has (never runs Gs)
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 256 << 10);
  if (pthread_create(&thread, &a, sysmon_main, m) != 0) fatal("goro: cannot start sysmon");
  pthread_attr_destroy(&a);
}

void sysmon_stop() {
  stop.store(1, std::memory_order_release);
  wake_up();
  pthread_join(thread, nullptr);
}

}  // namespace goro::detail
