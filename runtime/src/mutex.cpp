// mutex.cpp: goro::mutex, a transcription of Go's sync.Mutex (lockSlow/unlockSlow) onto sema.
//
// state_ packs kLocked, kWoken (a waiter is awake and competing: unlock need not wake another),
// kStarving and the waiter count. Normal mode lets running Gs barge, which is fast; a waiter that
// waited more than 1 ms switches the mutex to starvation mode, where unlock hands ownership to the
// head waiter directly and newcomers queue at the tail. The last waiter (or one that waited < 1 ms)
// switches it back.
#include "goro/mutex.h"

#include "goro/detail/park.h"
#include "goro/introspect_abi.h"
#include "sync_fatal.h"

namespace goro {

namespace {

constexpr int64_t kStarvationThresholdNs = 1'000'000;

void spin() {
  for (int i = 0; i < 30; ++i) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

}  // namespace

bool mutex::try_lock() noexcept {
  int32_t old = state_.load(std::memory_order_relaxed);
  if (old & (kLocked | kStarving)) return false;
  return state_.compare_exchange_strong(old, old | kLocked, std::memory_order_acquire, std::memory_order_relaxed);
}

void mutex::lock_slow() {
  int64_t wait_start = 0;
  bool starving = false;
  bool awoke = false;
  int iter = 0;
  int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    // Spin while locked in normal mode, telling unlock not to wake anyone (kWoken) meanwhile.
    if ((old & (kLocked | kStarving)) == kLocked && detail::sync_can_spin(iter)) {
      if (!awoke && (old & kWoken) == 0 && (old >> kWaiterShift) != 0 &&
          state_.compare_exchange_strong(old, old | kWoken, std::memory_order_relaxed)) {
        awoke = true;
      }
      spin();
      ++iter;
      old = state_.load(std::memory_order_relaxed);
      continue;
    }
    int32_t next = old;
    if ((old & kStarving) == 0) next |= kLocked;  // arriving Gs never take a starving mutex
    if (old & (kLocked | kStarving)) next += 1 << kWaiterShift;
    if (starving && (old & kLocked)) next |= kStarving;
    if (awoke) {
      if ((next & kWoken) == 0) detail::sync_fatal("sync: inconsistent mutex state");
      next &= ~kWoken;
    }
    if (!state_.compare_exchange_weak(old, next, std::memory_order_acq_rel, std::memory_order_relaxed)) continue;
    if ((old & (kLocked | kStarving)) == 0) return;  // took it with the CAS
    bool lifo = wait_start != 0;                      // a re-waiter goes to the head of the queue
    if (wait_start == 0) wait_start = detail::nanotime();
    sema_.acquire(GORO_WAIT_MUTEX, lifo);
    starving = starving || detail::nanotime() - wait_start > kStarvationThresholdNs;
    old = state_.load(std::memory_order_acquire);
    if (old & kStarving) {
      // Ownership was handed to us: the state still counts us as a waiter and is not locked.
      if ((old & (kLocked | kWoken)) != 0 || (old >> kWaiterShift) == 0)
        detail::sync_fatal("sync: inconsistent mutex state");
      int32_t delta = kLocked - (1 << kWaiterShift);
      if (!starving || (old >> kWaiterShift) == 1) delta -= kStarving;  // leave starvation mode
      state_.fetch_add(delta, std::memory_order_acq_rel);
      return;
    }
    awoke = true;
    iter = 0;
  }
}

void mutex::unlock_slow(int32_t now) {
  if (((now + kLocked) & kLocked) == 0) detail::sync_fatal("sync: unlock of unlocked mutex");
  if ((now & kStarving) == 0) {
    int32_t old = now;
    for (;;) {
      // Nobody to wake, or someone already awake/holding it: done.
      if ((old >> kWaiterShift) == 0 || (old & (kLocked | kWoken | kStarving)) != 0) return;
      int32_t next = (old - (1 << kWaiterShift)) | kWoken;
      if (state_.compare_exchange_weak(old, next, std::memory_order_acq_rel, std::memory_order_relaxed)) {
        sema_.release(false);
        return;
      }
    }
  }
  // Starvation mode: hand ownership to the head waiter and let it run now.
  sema_.release(true);
}

}  // namespace goro
