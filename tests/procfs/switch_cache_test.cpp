// switch_cache_test.cpp: SwitchCache's rules, and ProcSource's counts across passes with it.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "procfs/proc_source.h"
#include "procfs/proc_text.h"
#include "procfs/switch_cache.h"
#include "../support/support.h"
#include "settle.h"

using namespace ts;

namespace {

procfs::Switches status_switches(int32_t tgid, int32_t tid) {
  char path[64], buf[8192];
  std::snprintf(path, sizeof path, "/proc/%d/task/%d/status", tgid, tid);
  const ssize_t n = procfs::read_small(path, buf, sizeof buf);
  REQUIRE(n > 0);
  return procfs::parse_status_switches(std::string_view(buf, static_cast<size_t>(n)));
}

}  // namespace

TEST_CASE("SwitchCache reuses counts only after schedstat stood still across two reads", "[procfs]") {
  procfs::SwitchCache c;
  const procfs::SchedStat a{100, 5, 7}, ran{180, 5, 8};
  const procfs::Switches first{3, 1, true}, later{4, 1, true};
  c.begin_pass();
  CHECK(c.lookup(42, 9, a) == nullptr);  // never seen
  c.store(42, 9, a, first);
  c.begin_pass();
  CHECK(c.lookup(42, 9, a) == nullptr);  // unchanged, but the counts were read in the pass it moved
  c.store(42, 9, a, first);
  c.begin_pass();
  const procfs::Switches* kept = c.lookup(42, 9, a);
  REQUIRE(kept != nullptr);  // confirmed: read again after schedstat stopped moving
  CHECK(kept->nvcsw == 3);
  CHECK(c.status_reads() == 2);
  c.begin_pass();
  CHECK(c.lookup(42, 9, ran) == nullptr);  // it ran: read status again
  c.store(42, 9, ran, later);
  c.begin_pass();
  CHECK(c.lookup(42, 9, ran) == nullptr);  // and once more before trusting it
  c.store(42, 9, ran, later);
  c.begin_pass();
  REQUIRE(c.lookup(42, 9, ran) != nullptr);
  CHECK(c.lookup(42, 9, ran)->nvcsw == 4);
  CHECK(c.lookup(42, 10, ran) == nullptr);  // the tid was reused by a task started later
  CHECK(c.size() == 1);
  c.begin_pass();  // 42 looked up in the previous pass: kept
  CHECK(c.size() == 1);
  c.begin_pass();  // not looked up in the previous pass: its task is gone
  CHECK(c.size() == 0);
}

TEST_CASE("ProcSource re-reads the switches of a task that ran between passes and keeps the others exact",
          "[procfs]") {
  test::Fixture fx("named_threads", {"3"});
  const int32_t pid = nlohmann::json::parse(fx.facts())["pid"];
  REQUIRE(test::wait_all_asleep(pid));
  auto src = make_proc_source();
  Request req;
  req.pids = {pid};
  req.fields = Field::Switches | Field::Delay | Field::Times;
  uint64_t before = 0;
  for (int pass = 0; pass < 3; ++pass) {  // the third pass reuses every sleeping task's counts
    const Snapshot s = src->snapshot(req);
    REQUIRE(s.processes.size() == 1);
    before = s.processes[0].leader()->nvcsw;
  }
  // The leader waits for stdin to close: a byte wakes it once, and it goes back to sleep.
  REQUIRE(fx.send("x"));
  for (int i = 0; i < 500 && status_switches(pid, pid).nvcsw == before; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(test::wait_all_asleep(pid));
  for (int pass = 0; pass < 3; ++pass) {
    const Snapshot s = src->snapshot(req);
    REQUIRE(s.processes.size() == 1);
    INFO("pass " << pass);
    CHECK(s.processes[0].leader()->nvcsw > before);
    REQUIRE(s.processes[0].tasks.size() == 4);
    for (const Task& t : s.processes[0].tasks) {
      const procfs::Switches now = status_switches(pid, t.tid);
      INFO("tid " << t.tid);
      CHECK(t.nvcsw == now.nvcsw);
      CHECK(t.nivcsw == now.nivcsw);
    }
  }
}
