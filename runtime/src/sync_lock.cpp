// sync_lock.cpp: the runtime's internal spinlock (rtlock) and Go's semaphore (sema).
#include <sched.h>

#include "goro/detail/park.h"
#include "goro/introspect_abi.h"
#include "goro/mutex.h"
#include "goro/runtime.h"
#include "sync_fatal.h"

namespace goro::detail {

namespace {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace

// lock_slow: spin on a plain load (no cache-line ping-pong) for ~100 rounds; holders keep the
// lock for a few dozen instructions, so this nearly always wins. Past that the holder's thread was
// probably descheduled: yield the CPU to it between tries.
void rtlock::lock_slow() noexcept {
  for (int i = 0;; ++i) {
    uint32_t w = word_.load(std::memory_order_relaxed);
    if (w == 0 && word_.compare_exchange_weak(w, 1, std::memory_order_acquire, std::memory_order_relaxed)) return;
    if (i < 100) cpu_relax();
    else sched_yield();
  }
}

void sema::acquire(uint32_t reason, bool lifo) {
  lock_.lock();
  if (count_ > 0) {
    --count_;
    lock_.unlock();
    return;
  }
  G* g = current_g();
  if (g == nullptr) sync_fatal("sync: blocking lock outside a goroutine (call it from inside goro::run)");
  sema_waiter w{g, nullptr};
  if (lifo) {
    w.next = head_;
    head_ = &w;
    if (tail_ == nullptr) tail_ = &w;
  } else {
    if (tail_ != nullptr) tail_->next = &w;
    else head_ = &w;
    tail_ = &w;
  }
  park(reason, &rtlock::unlock_fn, &lock_);
  // release() unlinked w and gave us its unit.
}

void sema::release(bool handoff) {
  lock_.lock();
  sema_waiter* w = head_;
  if (w == nullptr) {
    ++count_;
    lock_.unlock();
    return;
  }
  head_ = w->next;
  if (head_ == nullptr) tail_ = nullptr;
  G* g = w->g;  // w lives on g's stack: read it before g can run
  lock_.unlock();
  ready(g);
  if (handoff && current_g() != nullptr) goro::yield();
}

}  // namespace goro::detail
