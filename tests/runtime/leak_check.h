// leak_check.h: run a scheduler test body under goro::run with a given number of Ps, then check
// that no G, stack or M leaked (marl's and Go's habit: every scheduler test ends with this).
#pragma once
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "../../runtime/src/export_test.h"
#include "goro/runtime.h"

namespace goro::test {

// LeakReport is what run_checked() saw when the body returned.
struct LeakReport {
  int64_t live_goroutines = -1;  // after the body, waiting up to 10 s for exiting Gs
  int64_t stacks_in_use = -1;
  uint32_t threads_after_run = ~0u;
};

// run_checked() runs body as the main G with `procs` Ps and fills a LeakReport; body's own checks
// should record facts and assert after this returns (Catch2 asserts are not for other threads).
inline LeakReport run_checked(int procs, const std::function<void()>& body) {
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
