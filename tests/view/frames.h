// frames.h: hand-built Frames for the view-model tests: processes and tasks with the fields the
// table shows, and their rates.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "view/frame.h"

namespace ts::test {

// task() is an LWP `tid` of process `pid` named `comm`.
inline Task task(int32_t tid, int32_t pid, std::string comm, char state = 'S') {
  Task t;
  t.tid = tid;
  t.tgid = pid;
  t.comm = std::move(comm);
  t.state = state;
  t.prio = 20;
  return t;
}

// proc() is a process with these tasks (its leader first), command line "<comm> --run".
inline Process proc(int32_t pid, int32_t ppid, std::string comm, std::vector<Task> tasks = {}, std::string user = "root") {
  Process p;
  p.pid = pid;
  p.ppid = ppid;
  p.comm = comm;
  p.cmdline = "/usr/bin/" + comm + " --run";
  p.user = std::move(user);
  p.rss_bytes = 4096ull * static_cast<uint64_t>(pid);
  if (tasks.empty()) tasks.push_back(task(pid, pid, comm));
  for (Task& t : tasks) t.ppid = ppid;
  p.tasks = std::move(tasks);
  p.nlwp = static_cast<int32_t>(p.tasks.size());
  return p;
}

// FrameBuilder collects processes and rates into a Frame (sequence number `seq`).
struct FrameBuilder {
  view::Frame f;
  explicit FrameBuilder(uint64_t seq = 2) {
    f.seq = seq;
    f.interval_s = 1;
    f.snap.fields = kAllFields & ~static_cast<Fields>(Field::Delay);
    f.snap.source = "proc";
    f.machine.mem_total = 1ull << 30;
  }
  // add() adds a live process (kept sorted by pid).
  FrameBuilder& add(Process p) {
    f.snap.processes.push_back(std::move(p));
    std::sort(f.snap.processes.begin(), f.snap.processes.end(), [](const Process& a, const Process& b) { return a.pid < b.pid; });
    return *this;
  }
  // rate() gives task `tid` of `pid` these rates, and adds them to its process's sum.
  FrameBuilder& rate(int32_t pid, int32_t tid, double cpu, double nv = 0, double niv = 0) {
    f.rates[tid] = TaskRate{cpu, nv, niv};
    auto& pr = f.process_rates[pid];
    pr.cpu_pct += cpu;
    pr.nvcsw_ps += nv;
    pr.nivcsw_ps += niv;
    return *this;
  }
  // dying() adds tasks that ended since the previous frame.
  FrameBuilder& dying(Process p) {
    f.dying.push_back(std::move(p));
    return *this;
  }
};

}  // namespace ts::test
