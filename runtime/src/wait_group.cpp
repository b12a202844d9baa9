// wait_group.cpp: goro::wait_group. The counter is a lone atomic so add() without waiters costs
// one RMW; the waiter list sits behind a lock that wait() holds from its last check of the counter
// until it is queued, and that add() takes after reaching zero, so no wakeup is lost.
#include "goro/wait_group.h"

#include "goro/detail/park.h"
#include "goro/introspect_abi.h"
#include "sync_fatal.h"

namespace goro {

void wait_group::add(int64_t delta) {
  int64_t now = count_.fetch_add(delta, std::memory_order_acq_rel) + delta;
  if (now < 0) detail::sync_panic("sync: negative WaitGroup counter");
  if (now != 0 || delta == 0) return;
  lock_.lock();
  detail::sema_waiter* list = waiters_;
  waiters_ = nullptr;
  lock_.unlock();
  while (list != nullptr) {
    detail::sema_waiter* next = list->next;  // list lives on the waiter's stack
    detail::ready(list->g);
    list = next;
  }
}

void wait_group::wait() {
  if (count_.load(std::memory_order_acquire) == 0) return;
  lock_.lock();
  if (count_.load(std::memory_order_acquire) == 0) {
    lock_.unlock();
    return;
  }
  detail::G* g = detail::current_g();
  if (g == nullptr) {
    lock_.unlock();
    detail::sync_fatal("sync: WaitGroup.Wait outside a goroutine (call it inside goro::run)");
  }
  detail::sema_waiter me{g, waiters_};
  waiters_ = &me;
  detail::park(GORO_WAIT_WAITGROUP, &detail::rtlock::unlock_fn, &lock_);
}

}  // namespace goro
