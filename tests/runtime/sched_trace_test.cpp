// sched_trace_test.cpp: GORO_DEBUG=schedtrace=MS[,scheddetail=1] prints Go's SCHED lines.
#include <catch2/catch.hpp>
#include <regex>
#include <sstream>

#include "../support/support.h"

TEST_CASE("schedtrace prints Go's SCHED lines with one runqueue per P", "[goro][sched]") {
  auto r = ts::test::run({"/usr/bin/env", "GORO_MAXPROCS=2", "GORO_DEBUG=schedtrace=50",
                          ts::test::fixture_path("goro_sched"), "300"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::regex line(R"(SCHED \d+ms: gomaxprocs=2 idleprocs=[0-2] threads=\d+ spinningthreads=\d+ idlethreads=\d+ runqueue=\d+ \[\d+ \d+\])");
  std::istringstream in(r.err);
  std::string l;
  int n = 0, other = 0;
  while (std::getline(in, l)) (std::regex_match(l, line) ? n : other)++;
  CHECK(n >= 2);
  CHECK(other == 0);
}

TEST_CASE("scheddetail adds the P, M and G lines", "[goro][sched]") {
  auto r = ts::test::run({"/usr/bin/env", "GORO_MAXPROCS=2", "GORO_DEBUG=schedtrace=50,scheddetail=1",
                          ts::test::fixture_path("goro_sched"), "200"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(std::regex_search(r.err, std::regex(R"(SCHED \d+ms: gomaxprocs=2 idleprocs=\d)")));
  CHECK(std::regex_search(r.err, std::regex(R"(\n  P0: status=\d schedtick=\d+ syscalltick=\d+ m=-?\d+ runqsize=\d+ gfreecnt=\d+\n)")));
  CHECK(std::regex_search(r.err, std::regex(R"(\n  P1: status=\d)")));
  CHECK(std::regex_search(r.err, std::regex(R"(\n  M0: p=-?\d+ curg=-?\d+ spinning=(true|false) blocked=(true|false) insyscall=(true|false) tid=\d+\n)")));
  CHECK(std::regex_search(r.err, std::regex(R"(\n  G1: status=\d\([a-z ]*\) m=-?\d+\n)")));
}
