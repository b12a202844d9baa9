// sort_rows_test.cpp: the order ps, threads and top sort rows in: the column's key in its
// direction, then pid, then the leader before its threads by tid, whatever order the rows came in.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "view/columns.h"

using namespace ts;
using namespace ts::view;

namespace {

// threads() is one process per pid in `pids`, each with tasks of these (tid, utime) pairs.
std::vector<Process> threads(const std::vector<std::vector<std::pair<int32_t, uint64_t>>>& per_process) {
  std::vector<Process> procs;
  int32_t pid = 100;
  for (const auto& tasks : per_process) {
    Process p;
    p.pid = pid;
    for (const auto& [tid, utime] : tasks) {
      Task t;
      t.tid = tid;
      t.tgid = pid;
      t.utime_ns = utime;
      p.tasks.push_back(t);
    }
    procs.push_back(p);
    pid += 100;
  }
  return procs;
}

std::vector<std::pair<int32_t, int32_t>> ids(const std::vector<Row>& rows) {
  std::vector<std::pair<int32_t, int32_t>> out;
  for (const Row& r : rows) out.emplace_back(r.proc->pid, r.task->tid);
  return out;
}

}  // namespace

TEST_CASE("sort_rows orders by the key's direction, ties by pid then tid, from any starting order") {
  // equal utimes across processes and within one: the tie-break decides
  const auto procs = threads({{{100, 5}, {105, 9}, {103, 5}}, {{200, 9}, {201, 1}}});
  std::vector<Row> rows;
  for (const Process& p : procs)
    for (const Task& t : p.tasks) rows.push_back(make_row(&p, &t));
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(rows.begin(), rows.end(), rng);
    std::vector<Row> by_time = rows;
    sort_rows(by_time, column("utime"));  // descending: the busiest first
    CHECK(ids(by_time) == std::vector<std::pair<int32_t, int32_t>>{{100, 105}, {200, 200}, {100, 100}, {100, 103}, {200, 201}});
    std::vector<Row> by_tid = rows;
    sort_rows(by_tid, column("tid"));  // ascending
    CHECK(ids(by_tid) == std::vector<std::pair<int32_t, int32_t>>{{100, 100}, {100, 103}, {100, 105}, {200, 200}, {200, 201}});
    for (size_t i = 1; i < by_time.size(); ++i) CHECK(!row_less(by_time[i], by_time[i - 1], column("utime")));
  }
}

TEST_CASE("within a process the leader comes first, also when its threads' tids wrapped below its pid") {
  Process p;
  p.pid = 32000;  // pid_max 32768: threads made after the wrap have small tids
  for (int32_t tid : {400, 32000, 500}) {
    Task t;
    t.tid = tid;
    t.tgid = p.pid;
    p.tasks.push_back(t);
  }
  std::vector<Row> rows;
  for (const Task& t : p.tasks) rows.push_back(make_row(&p, &t));
  sort_rows(rows, column("pid"));  // ps's default order
  CHECK(ids(rows) == std::vector<std::pair<int32_t, int32_t>>{{32000, 32000}, {32000, 400}, {32000, 500}});
  CHECK(row_less(rows[0], rows[1], column("pid")));
  CHECK_FALSE(row_less(rows[1], rows[0], column("pid")));
}
