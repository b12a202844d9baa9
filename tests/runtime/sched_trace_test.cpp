// sched_trace_test.cpp: GORO_DEBUG=schedtrace=MS[,scheddetail=1] prints Go's SCHED lines.
// (Parsed with sscanf: std::regex trips a g++ 12 -Wmaybe-uninitialized false positive under ASan.)
#include <stdio.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <vector>

#include "../support/support.h"

using ts::test::lines;

TEST_CASE("schedtrace prints Go's SCHED lines with one runqueue per P", "[goro][sched]") {
  auto r = ts::test::run({"/usr/bin/env", "GORO_MAXPROCS=2", "GORO_DEBUG=schedtrace=50",
                          ts::test::fixture_path("goro_sched"), "300"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  int n = 0, other = 0;
  for (const auto& l : lines(r.err)) {
    unsigned ms, procs, idle, threads, spinning, idlethreads, runq, q0, q1;
    int end = 0;
    int got = sscanf(l.c_str(),
                     "SCHED %ums: gomaxprocs=%u idleprocs=%u threads=%u spinningthreads=%u idlethreads=%u "
                     "runqueue=%u [%u %u]%n",
                     &ms, &procs, &idle, &threads, &spinning, &idlethreads, &runq, &q0, &q1, &end);
    bool ok = got == 9 && size_t(end) == l.size() && procs == 2 && idle <= 2 && threads >= 2;
    (ok ? n : other)++;
  }
  CHECK(n >= 2);
  CHECK(other == 0);
}

TEST_CASE("scheddetail adds the P, M and G lines", "[goro][sched]") {
  auto r = ts::test::run({"/usr/bin/env", "GORO_MAXPROCS=2", "GORO_DEBUG=schedtrace=50,scheddetail=1",
                          ts::test::fixture_path("goro_sched"), "200"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  int sched = 0, p0 = 0, p1 = 0, m0 = 0, g1 = 0;
  for (const auto& l : lines(r.err)) {
    unsigned a, b, c, d;
    int m, end = 0;
    char word[16], word2[16], word3[16];
    long long curg;
    if (sscanf(l.c_str(), "SCHED %ums: gomaxprocs=%u idleprocs=%u", &a, &b, &c) == 3 && b == 2) sched++;
    if (sscanf(l.c_str(), "  P%u: status=%u schedtick=%u syscalltick=%*u m=%d runqsize=%u gfreecnt=%*u%n", &a, &b, &c,
               &m, &d, &end) == 5 && size_t(end) == l.size())
      (a == 0 ? p0 : p1)++;
    if (sscanf(l.c_str(), "  M0: p=%d curg=%lld spinning=%15[a-z] blocked=%15[a-z] insyscall=%15[a-z] tid=%u%n", &m,
               &curg, word, word2, word3, &a, &end) == 6 && size_t(end) == l.size() && a > 0)
      m0++;
    if (l.rfind("  G1: status=", 0) == 0 && sscanf(l.c_str(), "  G1: status=%u(", &a) == 1 && l.find(") m=") != std::string::npos)
      g1++;
  }
  CHECK(sched >= 1);
  CHECK(p0 >= 1);
  CHECK(p1 >= 1);
  CHECK(m0 >= 1);
  CHECK(g1 >= 1);
}
