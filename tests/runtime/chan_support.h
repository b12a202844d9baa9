// chan_support.h: what the channel/sync/net/time tests share: running a body as the main G over a
// given number of Ps and checking that the runtime leaked nothing.
//
// Catch2 is not thread-safe and its REQUIRE throws, which must not cross a G: bodies record facts
// in plain variables (written by Gs, read after goro::run returned), and the tests assert outside.
#pragma once
#include <stdlib.h>

#include <functional>
#include <string>

#include <catch2/catch.hpp>

#include "goro/runtime.h"
#if __has_include("../../runtime/src/export_test.h")
#include "../../runtime/src/export_test.h"
#endif

#ifndef GORO_TEST_LEAK_CHECK
#define GORO_TEST_LEAK_CHECK() WARN("leak check unavailable: runtime/src/export_test.h missing")
#endif

namespace goro_test {

// run_procs() runs body as the main G of goro::run with GORO_MAXPROCS=procs, then checks that
// no G, stack or M outlived the run.
inline void run_procs(int procs, std::function<void()> body) {
  setenv("GORO_MAXPROCS", std::to_string(procs).c_str(), 1);
  int rc = goro::run(std::move(body));
  unsetenv("GORO_MAXPROCS");
  REQUIRE(rc == 0);
  GORO_TEST_LEAK_CHECK();
}

// procs() is the GENERATE every scheduler-involving test runs over.
#define GORO_PROCS() GENERATE(1, 2, 4, 8)

}  // namespace goro_test
