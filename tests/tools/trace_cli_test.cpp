// trace_cli_test.cpp: `taskscope trace` options, durations and errors (no tracing needed).
#include <unistd.h>

#include <catch2/catch.hpp>

#include "model/error.h"
#include "../support/support.h"
#include "trace.h"

using namespace ts;

TEST_CASE("durations take a unit, or seconds when bare", "[trace][cli]") {
  CHECK(tools::parse_duration_ns("5s") == 5'000'000'000ull);
  CHECK(tools::parse_duration_ns("500ms") == 500'000'000ull);
  CHECK(tools::parse_duration_ns("250us") == 250'000ull);
  CHECK(tools::parse_duration_ns("2m") == 120'000'000'000ull);
  CHECK(tools::parse_duration_ns("1.5") == 1'500'000'000ull);
  for (const char* bad : {"", "abc", "5x", "-1s", "0", "1e30s", "s"}) {
    INFO(bad);
    CHECK_THROWS_AS(tools::parse_duration_ns(bad), ts::Error);
  }
  try {
    tools::parse_duration_ns("5x");
  } catch (const ts::Error& e) {
    CHECK(e.status() == 2);
    CHECK(std::string(e.what()).find("'5x'") != std::string::npos);
  }
}

TEST_CASE("trace exits 2 on a bad flag or duration, 1 on a pid that does not exist", "[trace][cli]") {
  auto r = test::run({test::taskscope_bin(), "trace", "clone", "--no-such-flag"});
  CHECK(r.status == 2);
  r = test::run({test::taskscope_bin(), "trace", "sched", "soon"});
  CHECK(r.status == 2);
  CHECK(r.err.find("bad duration 'soon'") != std::string::npos);
  r = test::run({test::taskscope_bin(), "trace", "exit", "--comm", "a-name-longer-than-15", "1s"});
  CHECK(r.status == 2);
  r = test::run({test::taskscope_bin(), "trace"});
  CHECK(r.status == 2);
  // pid_max is at most 2^22: this pid cannot exist.
  r = test::run({test::taskscope_bin(), "trace", "exec", "-p", "99999999", "1s"});
  CHECK(r.status == 1);
  CHECK(r.err == "taskscope: -p 99999999: no such process (see taskscope ps)\n");
  r = test::run({test::taskscope_bin(), "trace", "sched", "-t", "99999999", "1s"});
  CHECK(r.status == 1);
  CHECK(r.err.find("no such thread") != std::string::npos);
}

TEST_CASE("trace --help lists the four modes", "[trace][cli]") {
  const auto r = test::run({test::taskscope_bin(), "trace", "--help"});
  CHECK(r.status == 0);
  for (const char* mode : {"clone", "exec", "exit", "sched"}) CHECK(r.out.find(mode) != std::string::npos);
}

TEST_CASE("trace without BPF privileges says what it needs in one line and exits 1", "[trace][cli]") {
  if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
    WARN("SKIPPED: needs root and setpriv(1) to drop to an unprivileged user");
    return;
  }
  const auto r = test::run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            test::taskscope_bin(), "trace", "clone", "1s"});
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "taskscope: BPF needs root, or CAP_BPF and CAP_PERFMON (try: sudo taskscope ...)\n");
}

TEST_CASE("trace -p with a thread id points at -t and the process", "[trace][cli]") {
  test::Fixture pp("pingpong");  // any fixture with a second thread
  const std::string facts = pp.facts();
  const auto at = facts.find("\"ping_tid\":");
  REQUIRE(at != std::string::npos);
  const int tid = std::stoi(facts.substr(at + 11));
  const auto r = test::run({test::taskscope_bin(), "trace", "exit", "-p", std::to_string(tid), "1s"});
  CHECK(r.status == 2);
  CHECK(r.err == "taskscope: -p " + std::to_string(tid) + " is a thread of process " + std::to_string(pp.pid()) +
                     ": use -t " + std::to_string(tid) + " or -p " + std::to_string(pp.pid()) + "\n");
}
