// snapshot_test.cpp: Snapshot lookups and the diff of two snapshots into rates.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "model/snapshot.h"

using namespace ts;

namespace {

Task task(int32_t tid, int32_t tgid, uint64_t cpu_ns, uint64_t vcsw, uint64_t ivcsw, uint64_t start = 100) {
  Task t;
  t.tid = tid;
  t.tgid = tgid;
  t.utime_ns = cpu_ns;
  t.nvcsw = vcsw;
  t.nivcsw = ivcsw;
  t.start_ns = start;
  return t;
}

Snapshot snap(uint64_t at_ns, std::vector<Task> tasks) {
  Snapshot s;
  s.taken_ns = at_ns;
  Process p;
  p.pid = tasks.front().tgid;
  p.tasks = std::move(tasks);
  s.processes.push_back(std::move(p));
  return s;
}

}  // namespace

TEST_CASE("diff turns counter growth into per-second rates") {
  const Snapshot a = snap(1'000'000'000, {task(10, 10, 0, 5, 1), task(11, 10, 0, 0, 0)});
  const Snapshot b = snap(3'000'000'000, {task(10, 10, 1'000'000'000, 25, 5), task(11, 10, 500'000'000, 2, 0)});
  const Rates r = diff(a, b);
  REQUIRE(r.size() == 2);
  CHECK(r.at(10).cpu_pct == Approx(50.0));
  CHECK(r.at(10).nvcsw_ps == Approx(10.0));
  CHECK(r.at(10).nivcsw_ps == Approx(2.0));
  CHECK(r.at(11).cpu_pct == Approx(25.0));
}

TEST_CASE("diff skips reused tids, new tids and backwards counters") {
  const Snapshot a = snap(1'000'000'000, {task(10, 10, 100, 5, 1), task(11, 10, 100, 5, 1, 100)});
  const Snapshot b = snap(2'000'000'000, {task(10, 10, 50, 5, 1), task(11, 10, 200, 6, 1, 999), task(12, 10, 0, 0, 0)});
  const Rates r = diff(a, b);
  CHECK(r.count(10) == 0);  // went backwards
  CHECK(r.count(11) == 0);  // start time changed: a different task with a reused tid
  CHECK(r.count(12) == 0);  // new
}

TEST_CASE("diff of snapshots not in time order is empty") {
  const Snapshot a = snap(2, {task(10, 10, 0, 0, 0)});
  const Snapshot b = snap(1, {task(10, 10, 10, 1, 1)});
  CHECK(diff(a, b).empty());
}

TEST_CASE("Snapshot::find and Process aggregates") {
  Snapshot s;
  for (int32_t pid : {3, 7, 9}) {
    Process p;
    p.pid = pid;
    p.tasks = {task(pid, pid, 10, 1, 2), task(pid + 100, pid, 20, 3, 4)};
    s.processes.push_back(p);
  }
  REQUIRE(s.find(7) != nullptr);
  CHECK(s.find(7)->pid == 7);
  CHECK(s.find(8) == nullptr);
  CHECK(s.task_count() == 6);
  const Process& p = *s.find(9);
  CHECK(p.leader()->tid == 9);
  CHECK(p.total_nvcsw() == 4);
  CHECK(p.total_nivcsw() == 6);
  CHECK(p.total_cpu_ns() == 30);
}

TEST_CASE("Process::sort_tasks puts the leader first, then orders by tid") {
  Process p;
  p.pid = 50;
  for (int32_t tid : {70, 50, 60, 55}) {
    Task t;
    t.tid = tid;
    t.tgid = 50;
    p.tasks.push_back(t);
  }
  p.sort_tasks();
  std::vector<int32_t> order;
  for (const Task& t : p.tasks) order.push_back(t.tid);
  CHECK(order == std::vector<int32_t>{50, 55, 60, 70});
  p.tasks.erase(p.tasks.begin());  // the leader exited
  std::swap(p.tasks[0], p.tasks[2]);
  p.sort_tasks();
  CHECK(p.tasks.front().tid == 55);
  CHECK(p.tasks.back().tid == 70);
}

TEST_CASE("Process::sort_tasks orders threads listed in wrapped runs, and any order, as a full sort does") {
  // A leader, then creation order after the pid space wrapped twice (three ascending runs), then
  // a shuffle with more runs than it merges.
  std::vector<int32_t> tids = {30000};
  for (int32_t t = 30001; t < 32768; t += 7) tids.push_back(t);
  for (int32_t t = 300; t < 29000; t += 5) tids.push_back(t);
  for (int32_t t = 29001; t < 29990; t += 3) tids.push_back(t);
  std::vector<int32_t> shuffled = tids;
  std::mt19937 rng(7);
  std::shuffle(shuffled.begin() + 1, shuffled.end(), rng);
  for (const auto& order : {tids, shuffled}) {
    Process p;
    p.pid = 30000;
    for (int32_t tid : order) {
      Task t;
      t.tid = tid;
      t.tgid = 30000;
      t.comm = "w" + std::to_string(tid);
      p.tasks.push_back(t);
    }
    p.sort_tasks();
    std::vector<int32_t> got;
    for (const Task& t : p.tasks) {
      got.push_back(t.tid);
      CHECK(t.comm == "w" + std::to_string(t.tid));  // whole tasks moved, not just their tids
    }
    std::vector<int32_t> want = tids;
    std::sort(want.begin() + 1, want.end());
    CHECK(got == want);
  }
}
