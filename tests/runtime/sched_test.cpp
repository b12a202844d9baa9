// sched_test.cpp: spawning, yielding, parking and stealing, with 1, 2, 4 and 8 Ps, each run ending
// with a leak check.
#include <atomic>
#include <mutex>
#include <thread>
#include <catch2/catch.hpp>
#include <vector>

#include "goro/detail/park.h"
#include "goro/introspect_abi.h"
#include "goro/syscall.h"
#include "leak_check.h"

using goro::test::run_checked;

TEST_CASE("go runs every goroutine exactly once, nested spawns included", "[goro][sched]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr int kOuter = 200, kInner = 50;
  std::vector<std::atomic<int>> hits(kOuter * kInner);
  std::atomic<int> done{0};
  uint64_t main_id = 0;
  auto r = run_checked(procs, [&] {
    main_id = goro::self_id();
    for (int i = 0; i < kOuter; i++)
      goro::go([&, i] {
        for (int j = 0; j < kInner; j++)
          goro::go([&, i, j] {
            hits[i * kInner + j]++;
            done++;
          });
      });
    while (done.load() < kOuter * kInner) goro::yield();
  });
  CHECK(main_id == 1);
  int wrong = 0;
  for (auto& h : hits) wrong += h.load() != 1;
  CHECK(wrong == 0);
  REQUIRE_NO_LEAKS(r);
}

TEST_CASE("yield round-robins with one P and lets every G progress with several", "[goro][sched]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr int kG = 4, kRounds = 2000;
  std::vector<uint64_t> order;
  std::vector<std::atomic<int>> progress(kG);
  std::atomic<int> finished{0};
  std::atomic<int> started{0};
  auto r = run_checked(procs, [&] {
    if (procs == 1) order.reserve(kG * kRounds);
    for (int g = 0; g < kG; g++)
      goro::go([&, g] {
        started++;
        while (started.load() < kG) goro::yield();
        for (int i = 0; i < kRounds; i++) {
          if (procs == 1) order.push_back(uint64_t(g));  // one P: never concurrent
          progress[g]++;
          goro::yield();
        }
        finished++;
      });
    while (finished.load() < kG) goro::sleep_for(std::chrono::microseconds(100));
  });
  for (auto& p : progress) CHECK(p.load() == kRounds);
  if (procs == 1) {
    REQUIRE(order.size() == size_t(kG * kRounds));
    // After everyone started, each window of kG consecutive turns has every G once.
    int bad = 0;
    for (size_t i = 0; i + kG <= order.size(); i += kG) {
      unsigned seen = 0;
      for (int k = 0; k < kG; k++) seen |= 1u << order[i + k];
      bad += seen != (1u << kG) - 1;
    }
    CHECK(bad == 0);
  }
  REQUIRE_NO_LEAKS(r);
}

#if defined(__SANITIZE_THREAD__)
constexpr int kMillion = 4'000;  // TSan creates a fiber (a thread context) per G: the same test, scaled down
#elif defined(__SANITIZE_ADDRESS__)
constexpr int kMillion = 100'000;
#else
constexpr int kMillion = 1'000'000;
#endif

TEST_CASE("1M goroutines are spawned and complete", "[goro][sched][slow]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr int kTotal = kMillion, kSpawners = 8;
  std::atomic<int> done{0};
  auto r = run_checked(procs, [&] {
    for (int s = 0; s < kSpawners; s++)
      goro::go([&] {
        for (int i = 0; i < kTotal / kSpawners; i++) {
          goro::go([&] { done.fetch_add(1, std::memory_order_relaxed); });
          if (i % 64 == 0) goro::yield();
        }
      });
    while (done.load() < kTotal) goro::sleep_for(std::chrono::microseconds(200));
  });
  CHECK(done.load() == kTotal);
  REQUIRE_NO_LEAKS(r);
}

namespace {
// A tiny wait queue on park/ready, as CHAN uses them: the lock is released by park's unlock step.
// A spinlock, not std::mutex: the lock is released by the next context on the M (TSan tracks
// mutex owners per fiber and would call that an unlock by the wrong thread).
struct SpinLock {
  std::atomic<bool> held{false};
  void lock() {
    while (held.exchange(true, std::memory_order_acquire)) std::this_thread::yield();
  }
  void unlock() { held.store(false, std::memory_order_release); }
};
struct WaitQ {
  SpinLock mu;
  std::vector<goro::detail::G*> waiters;
};
}  // namespace

TEST_CASE("park and ready: parked Gs wake once each, from Gs and from a plain thread", "[goro][sched]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr int kG = 2000;
  WaitQ q;
  std::atomic<int> woke{0};
  int parked_seen = 0;
  uint32_t reason_seen = 0;
  auto r = run_checked(procs, [&] {
    for (int i = 0; i < kG; i++)
      goro::go([&] {
        q.mu.lock();
        q.waiters.push_back(goro::detail::current_g());
        goro::detail::park(GORO_WAIT_CHAN_RECV, [](void* m) { static_cast<SpinLock*>(m)->unlock(); }, &q.mu);
        woke++;
      });
    for (;;) {  // wait until all are parked
      q.mu.lock();
      size_t n = q.waiters.size();
      q.mu.unlock();
      if (n == size_t(kG)) break;
      goro::yield();
    }
    // Published records of the parked Gs say "waiting" with the reason given to park.
    for (uint32_t i = 0; i < goro::detail::seg.desc->g_hwm; i++) {
      const goro_g_rec& g = goro::detail::seg.g[i];
      if (g.goid > 1 && g.state == GORO_G_WAITING && g.wait_reason == GORO_WAIT_CHAN_RECV) parked_seen++;
    }
    reason_seen = GORO_WAIT_CHAN_RECV;
    std::vector<goro::detail::G*> ws;
    {
      std::lock_guard<SpinLock> l(q.mu);
      ws.swap(q.waiters);
    }
    // Half readied from this G, half from a thread that is not a G (global queue path).
    size_t half = ws.size() / 2;
    for (size_t i = 0; i < half; i++) goro::detail::ready(ws[i]);
    std::thread t([&] {
      for (size_t i = half; i < ws.size(); i++) goro::detail::ready(ws[i]);
    });
    goro::syscall([&] { t.join(); });
    while (woke.load() < kG) goro::yield();
  });
  CHECK(reason_seen == GORO_WAIT_CHAN_RECV);
  CHECK(parked_seen == kG);
  CHECK(woke.load() == kG);
  REQUIRE_NO_LEAKS(r);
}

TEST_CASE("work is stolen: a G spinning on one P does not starve runnable Gs when there are more Ps",
          "[goro][sched]") {
  int procs = GENERATE(2, 4, 8);
  std::atomic<bool> release{false};
  std::atomic<int> ran{0};
  auto r = run_checked(procs, [&] {
    // These go to main's P; main then busy-waits without yielding: only another P can run them.
    for (int i = 0; i < 16; i++) goro::go([&] { ran++; });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (ran.load() < 16 && std::chrono::steady_clock::now() < deadline) {
    }
    release = true;
  });
  CHECK(ran.load() == 16);
  CHECK(release.load());
  REQUIRE_NO_LEAKS(r);
}
