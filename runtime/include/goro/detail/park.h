// park.h: the scheduler's inner interface for channels, sync, timers and the netpoller.
// Everything here runs on a G unless it says otherwise. CHAN builds chan/select/sync/net on it.
#pragma once
#include <stdint.h>

namespace goro::detail {

// G is an opaque goroutine (defined in runtime/src/g.h).
struct G;

// current_g() is the running G; nullptr when not called from a G (a plain thread, a timer's fire).
G* current_g();

// goid() is g's goroutine id (1.., never reused while the G lives).
uint64_t goid(const G* g);

// park() parks the current G with `reason` (enum goro_wait_reason from goro/introspect_abi.h).
// After the G's context is saved and it is marked waiting, the scheduler (no longer on the G's
// stack) calls unlock(arg) if non-null, so the caller can hold the lock protecting its wait queue
// across the state change and no wakeup is lost. Returns when ready(g) was called.
// Must be called from a G.
void park(uint32_t reason, void (*unlock)(void*), void* arg);

// ready() makes a parked G runnable. From a G: into the current P's runnext (the readied G inherits
// the time slice, as Go's goready). From a non-G thread (netpoller, timer, sysmon): into the global
// queue, waking an idle P if needed. Calling it twice for one park is a bug: the runtime throws.
void ready(G* g);

// sync_can_spin() says whether a G that found a goro::mutex locked may busy-wait for it (spin
// round `iter`, from 0) rather than park: Go's sync_runtime_canSpin. Only a few rounds, only with
// more than one CPU and another P running Gs (the holder may be running there), and only while the
// caller's own run queue is empty: a spin with Gs waiting on our P delays them, and with the holder
// runnable behind us it can only fail (1000 Gs yielding inside one mutex on 2 Ps spent 79% of
// their time here, issue 9).
bool sync_can_spin(int iter);

// g_wait_slot() is one pointer-sized slot CHAN may use while g is parked (Go's sudog fields live
// here to avoid allocation). The runtime never reads it; it is not cleared between parks.
void* g_wait_slot(G* g);

// Timer is a caller-owned timer; it must outlive its pending period. Zero-initialise it
// (Timer t{}), set the public fields, then timer_add().
struct Timer {
  int64_t when_ns;        // CLOCK_MONOTONIC deadline
  int64_t period_ns;      // >0: re-arm every period (ticker); 0: one-shot
  void (*fire)(Timer*);   // called on a scheduler thread (not on a G): must not block or park, and
                          // must not timer_add/timer_del its own timer
  void* arg;
  // private to the runtime (timer.cpp):
  uint32_t heap_pos_;     // 1-based index in the timer heap, 0 when not armed
  uint32_t state_;        // timer.cpp's TimerState
};

// timer_add() arms t (t must not be armed). fire runs at or after when_ns, on a scheduler thread.
void timer_add(Timer* t);

// timer_del() disarms t; true when it was armed and had not fired. When t's fire is running on
// another thread, waits for it to return, so t may be freed once timer_del returns.
bool timer_del(Timer* t);

// nanotime() is CLOCK_MONOTONIC in ns (vDSO, no syscall).
int64_t nanotime();

// Netpoller hooks (CHAN implements netpoll.cpp; the scheduler calls them; runtime/src/sched_weak.cpp
// holds weak defaults so the runtime links without a netpoller).
// netpoll() polls: 0 does not block, -1 blocks, >0 blocks at most that long; calls ready() for each
// G whose fd became ready; returns how many. Returns 0 quickly if no fd was ever registered.
int netpoll(int64_t timeout_ns);
// netpoll_break() wakes a netpoll() blocked in another thread.
void netpoll_break();
// netpoll_has_waiters() is true while any G is parked in IO wait (then all-asleep is not a deadlock).
bool netpoll_has_waiters();

}  // namespace goro::detail
