// sched_trace_test.cpp: GORO_DEBUG=schedtrace=MS[,scheddetail=1] prints Go's SCHED lines.
// (Parsed with sscanf: std::regex trips a g++ 12 -Wmaybe-uninitialized false positive under ASan.)
#include <stdio.h>

#include <catch2/catch.hpp>
#include <chrono>
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

TEST_CASE("schedtrace's threads= counts sysmon, and scheddetail lists an M line for each", "[goro][sched]") {
  auto r = ts::test::run({"/usr/bin/env", "GORO_MAXPROCS=2", "GORO_DEBUG=schedtrace=50,scheddetail=1",
                          ts::test::fixture_path("goro_sched"), "200"},
                         std::chrono::seconds(60));
  INFO(r.err);
  REQUIRE(r.status == 0);
  // Per SCHED block: threads=N, then N "  M" lines (Go's mcount: M0, sysmon's M, the others).
  int blocks = 0, matched = 0, sysmon_lines = 0;
  unsigned threads = 0, m_lines = 0;
  auto close_block = [&] {
    if (blocks) matched += m_lines == threads;
  };
  for (const auto& l : lines(r.err)) {
    unsigned ms, procs, idle, t;
    if (sscanf(l.c_str(), "SCHED %ums: gomaxprocs=%u idleprocs=%u threads=%u", &ms, &procs, &idle, &t) == 4) {
      close_block();
      blocks++, threads = t, m_lines = 0;
    } else if (l.rfind("  M", 0) == 0) {
      m_lines++;
      // sysmon's M, as Go prints it: no P, no G, never spinning nor blocked.
      sysmon_lines += l.find(": p=-1 curg=-1 spinning=false blocked=false insyscall=false tid=") != std::string::npos;
    }
  }
  close_block();
  CHECK(blocks >= 1);
  CHECK(matched == blocks);
  CHECK(threads >= 3);  // M0, sysmon and the M of the second P, at least
  CHECK(sysmon_lines >= blocks);
}

TEST_CASE("schedtrace names a G that holds its P more than 10 ms", "[goro][sched][hog]") {
  std::string procs = GENERATE("1", "2", "4", "8");
  auto r = ts::test::run({"/usr/bin/env", "GORO_MAXPROCS=" + procs, "GORO_DEBUG=schedtrace=20",
                          ts::test::fixture_path("goro_hog"), "300"},
                         std::chrono::seconds(60));
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  unsigned long long hog = 0;
  REQUIRE(sscanf(r.out.c_str(), "{\"pid\":%*d,\"gomaxprocs\":%*d,\"main_goid\":%*u,\"hog_goid\":%llu}", &hog) == 1);
  int named = 0, others = 0;
  unsigned longest = 0;
  for (const auto& l : lines(r.err)) {
    unsigned long long g;
    unsigned p, ms;
    int end = 0;
    if (sscanf(l.c_str(), "  long-running G%llu on P%u for %ums: no scheduling point (goro never preempts)%n", &g, &p,
               &ms, &end) != 3 || size_t(end) != l.size())
      continue;
    (g == hog ? named : others)++;
    if (g == hog && ms > longest) longest = ms;
    CHECK(ms >= 10);
  }
  CHECK(named >= 1);
  CHECK(others == 0);
  CHECK(longest >= 100);  // it spun 300 ms; sysmon traces every 20 ms
}
