// observe.cpp: a child's RSS and switch counts from the /proc source.
#include "costs/observe.h"

#include <time.h>

#include <algorithm>
#include <string>

#include "model/error.h"
#include "sources/make_source.h"

namespace ts::costs {

namespace {

const Process& the_process(const Snapshot& s, pid_t pid) {
  const Process* p = s.find(pid);
  if (!p) throw Error("bench: the measuring child " + std::to_string(pid) + " is gone");
  return *p;
}

bool wanted(const std::vector<pid_t>& tids, int32_t tid) {
  return tids.empty() || std::find(tids.begin(), tids.end(), tid) != tids.end();
}

}  // namespace

Observer::Observer() : src_(make_source(SourceKind::Proc)) {}
Observer::~Observer() = default;

uint64_t Observer::rss(pid_t pid) {
  Request req;
  req.pids = {pid};
  req.fields = Field::Ids | Field::Memory;
  return the_process(src_->snapshot(req), pid).rss_bytes;
}

Switches Observer::switches(pid_t pid, const std::vector<pid_t>& tids) {
  Request req;
  req.pids = {pid};
  req.fields = Field::Ids | Field::Switches;
  const Snapshot s = src_->snapshot(req);
  Switches sum;
  size_t seen = 0;
  for (const Task& t : the_process(s, pid).tasks)
    if (wanted(tids, t.tid)) {
      sum.nvcsw += t.nvcsw;
      sum.nivcsw += t.nivcsw;
      ++seen;
    }
  if (!tids.empty() && seen != tids.size())
    throw Error("bench: a task of the measuring child " + std::to_string(pid) + " is gone");
  return sum;
}

void Observer::wait_asleep(pid_t pid, const std::vector<pid_t>& tids) {
  Request req;
  req.pids = {pid};
  req.fields = Field::Ids | Field::State;
  for (int i = 0; i < 2000; ++i) {
    const Snapshot s = src_->snapshot(req);
    bool all = true;
    for (const Task& t : the_process(s, pid).tasks)
      if (wanted(tids, t.tid)) all = all && t.state == 'S';
    if (all) return;
    const timespec pause{0, 5'000'000};
    nanosleep(&pause, nullptr);
  }
  throw Error("bench: the measuring child " + std::to_string(pid) + " never went to sleep");
}

}  // namespace ts::costs
