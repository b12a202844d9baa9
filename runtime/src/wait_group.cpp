// wait_group.cpp: goro::wait_group. As Go's sync.WaitGroup, the counter and the number of waiters
// share one atomic word: add() without waiters costs one RMW, and the add() that reaches zero with
// no waiter counted returns without touching the wait_group again (the waiter that sees zero may
// destroy it at once). A waiter counted in the word never returns before that add() readies it, so
// the waker may use the lock and the list until it has collected every counted waiter.
#include "goro/wait_group.h"

#include <sched.h>

#include "goro/detail/park.h"
#include "goro/introspect_abi.h"
#include "sync_fatal.h"

namespace goro {

void wait_group::add(int64_t delta) {
  const uint64_t d = static_cast<uint64_t>(delta) << 32;
  const uint64_t s = state_.fetch_add(d, std::memory_order_acq_rel) + d;
  const int64_t v = static_cast<int32_t>(s >> 32);
  const uint32_t w = static_cast<uint32_t>(s);
  if (v < 0) detail::sync_panic("sync: negative WaitGroup counter");
  if (v > 0 || w == 0 || delta == 0) return;
  // Zero with w waiters: each is queued, or between counting itself and queueing (a few
  // instructions under lock_, no scheduling point). Reset, then collect all w before waking any.
  state_.store(0, std::memory_order_relaxed);
  detail::sema_waiter* list = nullptr;
  for (uint32_t n = 0;;) {
    lock_.lock();
    detail::sema_waiter* got = waiters_;
    waiters_ = nullptr;
    lock_.unlock();
    while (got != nullptr) {  // each node lives on its parked waiter's stack
      detail::sema_waiter* next = got->next;
      got->next = list;
      list = got;
      got = next;
      ++n;
    }
    if (n >= w) break;
    sched_yield();  // a waiter on another M is between its count and its push
  }
  while (list != nullptr) {
    detail::sema_waiter* next = list->next;  // read before the waiter may run and return
    detail::ready(list->g);
    list = next;
  }
}

void wait_group::wait() {
  uint64_t s = state_.load(std::memory_order_acquire);
  if ((s >> 32) == 0) return;
  detail::G* g = detail::current_g();
  if (g == nullptr) detail::sync_fatal("sync: WaitGroup.Wait outside a goroutine (call it inside goro::run)");
  // Count ourselves a waiter while the counter is still above zero; once counted, the add() that
  // reaches zero waits for our push below and readies us.
  while (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire))
    if ((s >> 32) == 0) return;
  lock_.lock();
  detail::sema_waiter me{g, waiters_};
  waiters_ = &me;
  detail::park(GORO_WAIT_WAITGROUP, &detail::rtlock::unlock_fn, &lock_);
}

}  // namespace goro
