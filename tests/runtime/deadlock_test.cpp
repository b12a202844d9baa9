// deadlock_test.cpp: when every G is blocked and nothing can wake them, the runtime prints Go's
// message with the goroutine dump and exits 2 (a death test in a child process).
#include <catch2/catch.hpp>

#include "../support/support.h"

TEST_CASE("all goroutines asleep: Go's deadlock message, the G dump, exit status 2", "[goro][deadlock]") {
  std::string procs = GENERATE("1", "2", "4", "8");
  auto r = ts::test::run({"/usr/bin/env", "GORO_MAXPROCS=" + procs, ts::test::fixture_path("goro_deadlock")});
  INFO(r.err);
  CHECK(r.status == 2);
  CHECK(r.err.rfind("fatal error: all goroutines are asleep - deadlock!\n\n", 0) == 0);
  CHECK(r.err.find("goroutine 1 [chan receive]:") != std::string::npos);
  CHECK(r.err.find("goroutine 2 [select]:") != std::string::npos);
  CHECK(r.err.find("created by goroutine 1") != std::string::npos);
  // Names, not raw addresses: goroutine 2's function, and the file:line of the goro::go call.
  const std::string go_line = r.out.substr(r.out.find(':') + 1, r.out.find('}') - r.out.find(':') - 1);
  CHECK(r.err.find("goroutine 2 [select]:\nmain::{lambda()#1}::operator()() const::{lambda()#1}\n") != std::string::npos);
  CHECK(r.err.find("tests/fixtures/goro_deadlock.cpp:" + go_line + " +0x") != std::string::npos);
}
