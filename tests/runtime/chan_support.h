// chan_support.h: what the channel/sync/net/time tests share: running a body as the main G over a
// given number of Ps and checking (with CORE's leak_check.h) that no G, stack or M leaked.
//
// Catch2 is not thread-safe and its REQUIRE throws, which must not cross a G: bodies record facts
// in plain variables (written by Gs, read after goro::run returned), and the tests assert outside.
#pragma once
#include <functional>

#include <catch2/catch.hpp>

#include "leak_check.h"

namespace goro_test {

// run_procs() runs body as the main G with GORO_MAXPROCS=procs, then checks for leaks.
inline void run_procs(int procs, const std::function<void()>& body) {
  auto r = goro::test::run_checked(procs, body);
  REQUIRE_NO_LEAKS(r);
}

// GORO_PROCS() is the GENERATE every scheduler-involving test runs over.
#define GORO_PROCS() GENERATE(1, 2, 4, 8)

}  // namespace goro_test
