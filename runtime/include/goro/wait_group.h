// wait_group.h: goro::wait_group, Go's sync.WaitGroup.
//
//   goro::wait_group wg;
//   for (int i = 0; i < n; ++i) { wg.add(1); goro::go([&] { work(); wg.done(); }); }
//   wg.wait();   // parks in "sync.WaitGroup.Wait" until every done()
#pragma once
#include <stdint.h>

#include <atomic>

#include "goro/mutex.h"

namespace goro {

// wait_group waits for a collection of Gs to finish: add() the count before starting them, each
// calls done(), wait() parks until the count is zero. A negative count panics, as in Go.
class wait_group {
 public:
  wait_group() = default;
  wait_group(const wait_group&) = delete;
  wait_group& operator=(const wait_group&) = delete;

  // add() adds delta (may be negative) to the counter; at zero it wakes every waiter.
  void add(int64_t delta);
  // done() is add(-1).
  void done() { add(-1); }
  // wait() returns at once when the counter is zero, else parks the G until it is.
  void wait();

 private:
  // state_ is Go's: the counter in the high 32 bits, the waiters counted in the low 32. One word,
  // so the add() that reaches zero knows whether a waiter may still need it: with none it touches
  // the wait_group no more (a waiter that saw zero may already have destroyed it).
  std::atomic<uint64_t> state_{0};
  detail::rtlock lock_;
  detail::sema_waiter* waiters_ = nullptr;  // guarded by lock_
};

}  // namespace goro
