// settle.h: waiting for a fixture's threads to reach their resting state before asserting on it.
#pragma once
#include <chrono>
#include <thread>

#include "procfs/proc_source.h"

namespace ts::test {

// wait_all_asleep() polls (up to 5 s) until every task of `pid` is in state 'S': a fixture that
// has printed its facts may still be on its way into its final wait. Returns whether they all were.
inline bool wait_all_asleep(int32_t pid) {
  auto src = make_proc_source();
  Request req;
  req.pids = {pid};
  req.fields = Field::Ids | Field::State;
  for (int i = 0; i < 500; ++i) {
    const Snapshot s = src->snapshot(req);
    bool all = !s.processes.empty();
    for (const Process& p : s.processes)
      for (const Task& t : p.tasks) all = all && t.state == 'S';
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace ts::test
