// leak_check.h: run a scheduler test body under goro::run with a given number of Ps, then check
// that no G, stack or M leaked (marl's and Go's habit: every scheduler test ends with this).
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "../../runtime/src/export_test.h"
#include "goro/runtime.h"

namespace goro::test {

// LeakReport is what run_checked() saw when the body returned.
struct LeakReport {
  int64_t live_goroutines = -1;  // after the body, waiting up to 10 s for exiting Gs
  int64_t stacks_in_use = -1;
  uint32_t threads_after_run = ~0u;
};

// kHangLimit is how long run_checked() lets a body run before calling it hung: far above what any
// test needs even under TSan on a loaded 2-core machine.
constexpr std::chrono::seconds kHangLimit{120};

// Watchdog ends the test binary (exit status 3, with a line naming the test) when the run it
// guards outlives its limit: a hung runtime (a lost wakeup, a spin) cannot be failed from inside,
// and must not stall CI. Its thread is not a runtime thread: the leak check does not count it.
class Watchdog {
 public:
  Watchdog(int procs, std::chrono::seconds limit)
      : what_(Catch::getResultCapture().getCurrentTestName()),
        thread_([this, procs, limit] {
          std::unique_lock<std::mutex> l(mu_);
          if (cv_.wait_for(l, limit, [this] { return done_; })) return;
          fprintf(stderr, "\nrun_checked: \"%s\" with %d Ps did not finish within %lld s: the runtime hung\n",
                  what_.c_str(), procs, static_cast<long long>(limit.count()));
          _exit(3);
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> l(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::string what_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// run_checked() runs body as the main G with `procs` Ps and fills a LeakReport; body's own checks
// should record facts and assert after this returns (Catch2 asserts are not for other threads).
// A run that outlives kHangLimit ends the test binary with a message (see Watchdog).
inline LeakReport run_checked(int procs, const std::function<void()>& body) {
  Watchdog watchdog(procs, kHangLimit);
  setenv("GORO_MAXPROCS", std::to_string(procs).c_str(), 1);
  LeakReport r;
  goro::run([&] {
    body();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    // An exiting G is counted out before its stack returns to a pool (on the next context):
    // wait for both to settle.
    while ((live_goroutines() != 1 || stacks_in_use() != 1) && std::chrono::steady_clock::now() < deadline)
      goro::sleep_for(std::chrono::milliseconds(1));
    r.live_goroutines = live_goroutines();
    r.stacks_in_use = stacks_in_use();
  });
  unsetenv("GORO_MAXPROCS");
  r.threads_after_run = threads_alive();
  return r;
}

// REQUIRE_NO_LEAKS checks a LeakReport: only the main G and its stack were left, no M thread.
#define REQUIRE_NO_LEAKS(r)                 \
  do {                                      \
    CHECK((r).live_goroutines == 1);        \
    CHECK((r).stacks_in_use == 1);          \
    CHECK((r).threads_after_run == 0u);     \
  } while (0)

}  // namespace goro::test
