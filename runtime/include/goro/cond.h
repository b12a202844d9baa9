// cond.h: goro::cond, Go's sync.Cond over a goro::mutex.
//
//   mu.lock();
//   while (!ready) c.wait();   // unlocks mu, parks in "sync.Cond.Wait", relocks mu
//   mu.unlock();
#pragma once
#include <stdint.h>

#include <atomic>

#include "goro/mutex.h"

namespace goro {

namespace detail {
struct cond_waiter;
}

// cond is a condition variable for Gs, bound to one goro::mutex (Go's sync.NewCond(&mu)). Wakeups
// are FIFO by arrival (Go's notifyList tickets): a signal() never wakes a G that began waiting after it.
class cond {
 public:
  // cond() binds the condition to m, which must outlive it.
  explicit cond(mutex& m) : m_(&m) {}
  cond(const cond&) = delete;
  cond& operator=(const cond&) = delete;

  // wait() atomically unlocks the mutex and parks the G, then relocks it before returning.
  // The caller must hold the mutex. Like Go, it may return without the condition being true.
  void wait();
  // signal() wakes the longest-waiting G, if any. The mutex need not be held.
  void signal();
  // broadcast() wakes every waiting G.
  void broadcast();

 private:
  mutex* m_;
  std::atomic<uint32_t> wait_{0};     // next ticket to hand out (Go's notifyList.wait)
  std::atomic<uint32_t> notify_{0};   // next ticket to wake; written under lock_
  detail::rtlock lock_;
  detail::cond_waiter* head_ = nullptr;  // guarded by lock_
  detail::cond_waiter* tail_ = nullptr;  // guarded by lock_
};

}  // namespace goro
