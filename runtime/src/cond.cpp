// cond.cpp: goro::cond, Go's notifyList: wait() takes a ticket while it still holds the user's
// mutex, so a signal() between its unlock and its park is not lost: that signal advances notify_
// past the ticket and the late waiter returns at once instead of parking.
#include "goro/cond.h"

#include "goro/detail/park.h"
#include "goro/introspect_abi.h"
#include "sync_fatal.h"

namespace goro {

namespace detail {
struct cond_waiter {
  G* g;
  uint32_t ticket;
  cond_waiter* next;
};
}  // namespace detail

namespace {
// before(a, b): ticket a was handed out before b (wrap-safe, as Go's less()).
bool before(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
}  // namespace

void cond::wait() {
  uint32_t t = wait_.fetch_add(1, std::memory_order_acq_rel);
  m_->unlock();
  lock_.lock();
  if (before(t, notify_.load(std::memory_order_relaxed))) {
    lock_.unlock();
  } else {
    detail::G* g = detail::current_g();
    if (g == nullptr) {
      lock_.unlock();
      detail::sync_fatal("sync: Cond.Wait outside a goroutine (call it inside goro::run)");
    }
    detail::cond_waiter me{g, t, nullptr};
    if (tail_ != nullptr) tail_->next = &me;
    else head_ = &me;
    tail_ = &me;
    detail::park(GORO_WAIT_COND, &detail::rtlock::unlock_fn, &lock_);
  }
  m_->lock();
}

void cond::signal() {
  // Fast path: nobody took a ticket since the last notification.
  if (wait_.load(std::memory_order_acquire) == notify_.load(std::memory_order_acquire)) return;
  lock_.lock();
  uint32_t t = notify_.load(std::memory_order_relaxed);
  if (t == wait_.load(std::memory_order_acquire)) {
    lock_.unlock();
    return;
  }
  notify_.store(t + 1, std::memory_order_release);
  // Find the waiter with ticket t; it may not have queued yet, and then it will not park.
  detail::cond_waiter* prev = nullptr;
  for (detail::cond_waiter* w = head_; w != nullptr; prev = w, w = w->next) {
    if (w->ticket != t) continue;
    if (prev != nullptr) prev->next = w->next;
    else head_ = w->next;
    if (tail_ == w) tail_ = prev;
    detail::G* g = w->g;
    lock_.unlock();
    detail::ready(g);
    return;
  }
  lock_.unlock();
}

void cond::broadcast() {
  if (wait_.load(std::memory_order_acquire) == notify_.load(std::memory_order_acquire)) return;
  lock_.lock();
  notify_.store(wait_.load(std::memory_order_acquire), std::memory_order_release);
  detail::cond_waiter* list = head_;
  head_ = tail_ = nullptr;
  lock_.unlock();
  while (list != nullptr) {
    detail::cond_waiter* next = list->next;
    detail::ready(list->g);
    list = next;
  }
}

}  // namespace goro
