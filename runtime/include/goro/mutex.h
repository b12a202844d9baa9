// mutex.h: goro::mutex (Go's sync.Mutex) and the runtime's internal locks it is built on.
//
// A G that cannot take a goro::mutex parks ("sync.Mutex.Lock") instead of blocking its M, so the
// other Gs of its P keep running. detail::rtlock is the short internal lock that guards wait queues
// (channels, semaphores, the netpoller): it may block the M for the few instructions a holder needs.
#pragma once
#include <stdint.h>

#include <atomic>

namespace goro {

namespace detail {

struct G;

// rtlock is the runtime's internal lock: a test-and-test-and-set spinlock that falls back to
// sched_yield. It guards a wait queue for a few dozen instructions; a G never parks while holding
// one except through park()'s unlock callback (rtlock::unlock_fn), which releases it once the G
// is off its stack. Usable from Gs and plain threads (timer callbacks, the netpoller).
// Not a futex lock: with holds this short, a sleeper is rarer than an unlock, and a plain
// store-release unlock saves an atomic RMW on every channel operation (measured: the RMW was the
// largest single cost of a round trip).
class rtlock {
 public:
  // lock() takes the lock, spinning briefly and then yielding the M between tries.
  void lock() noexcept {
    uint32_t free = 0;
    if (!word_.compare_exchange_strong(free, 1, std::memory_order_acquire, std::memory_order_relaxed)) lock_slow();
  }
  // unlock() releases the lock.
  void unlock() noexcept { word_.store(0, std::memory_order_release); }  // pairs with lock's CAS
  // unlock_fn() is unlock() as park()'s callback: arg is the rtlock*.
  static void unlock_fn(void* arg) noexcept { static_cast<rtlock*>(arg)->unlock(); }

 private:
  void lock_slow() noexcept;
  std::atomic<uint32_t> word_{0};  // 0 free, 1 held
};

// sema_waiter is one G parked on a sema; it lives on that G's stack while it waits.
struct sema_waiter {
  G* g;
  sema_waiter* next;
};

// sema is Go's runtime semaphore (semacquire/semrelease) for one address: a count and a FIFO of
// parked Gs. release() hands its unit straight to the first waiter, so a woken G owns it.
class sema {
 public:
  // acquire() takes a unit, parking the G with wait reason `reason` (goro_wait_reason) while the
  // count is zero. lifo puts the G at the head of the queue (a waiter that already waited once).
  void acquire(uint32_t reason, bool lifo);
  // release() returns a unit: to the first waiter if any (made runnable; with handoff the caller
  // yields so the waiter runs next, as Go's starving mutex does), else to the count.
  void release(bool handoff);

 private:
  rtlock lock_;
  uint32_t count_ = 0;           // guarded by lock_
  sema_waiter* head_ = nullptr;  // guarded by lock_
  sema_waiter* tail_ = nullptr;  // guarded by lock_
};

}  // namespace detail

// mutex is Go's sync.Mutex for goroutines: lock() spins briefly and then parks the G in
// "sync.Mutex.Lock". Two modes, as Go's: normal (a woken waiter competes with arriving Gs, which
// usually win because they are already running) and starvation (entered when a waiter waited more
// than 1 ms: unlock hands the mutex directly to the first waiter and arriving Gs queue behind).
// Not recursive; unlock of an unlocked mutex is fatal. Must be used from Gs (lock may park).
// Satisfies Lockable, so std::lock_guard<goro::mutex> and std::unique_lock work.
class mutex {
 public:
  mutex() = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  // lock() takes the mutex, parking the calling G while another holds it.
  void lock() {
    int32_t free = 0;
    if (state_.compare_exchange_strong(free, kLocked, std::memory_order_acquire, std::memory_order_relaxed)) return;
    lock_slow();
  }
  // try_lock() takes the mutex when it is free and not being handed off; never parks.
  bool try_lock() noexcept;
  // unlock() releases the mutex (held by any G: Go's mutexes are not owned); wakes a waiter if any.
  void unlock() {
    int32_t now = state_.fetch_sub(kLocked, std::memory_order_release) - kLocked;
    if (now != 0) unlock_slow(now);
  }

 private:
  static constexpr int32_t kLocked = 1;
  static constexpr int32_t kWoken = 2;
  static constexpr int32_t kStarving = 4;
  static constexpr int kWaiterShift = 3;
  void lock_slow();
  void unlock_slow(int32_t now);

  std::atomic<int32_t> state_{0};  // kLocked | kWoken | kStarving | waiters << kWaiterShift
  detail::sema sema_;
};

}  // namespace goro
