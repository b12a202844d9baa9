// task.cpp: names for states and policies, and Process's aggregates.
#include "model/task.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace ts {

const char* policy_name(SchedPolicy p) {
  switch (p) {
    case SchedPolicy::Other: return "TS";
    case SchedPolicy::Fifo: return "FF";
    case SchedPolicy::RR: return "RR";
    case SchedPolicy::Batch: return "B";
    case SchedPolicy::Iso: return "ISO";
    case SchedPolicy::Idle: return "IDL";
    case SchedPolicy::Deadline: return "DLN";
  }
  return "?";
}

const char* state_name(char state) {
  switch (state) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "disk-sleep";
    case 'T': return "stopped";
    case 't': return "tracing-stop";
    case 'Z': return "zombie";
    case 'X': return "dead";
    case 'I': return "idle";
    case 'P': return "parked";
    case 'W': return "waking";
    case 'K': return "wakekill";
  }
  return "unknown";
}

const Task* Process::leader() const {
  for (const Task& t : tasks)
    if (t.tid == pid) return &t;
  return nullptr;
}

uint64_t Process::total_nvcsw() const {
  uint64_t n = 0;
  for (const Task& t : tasks) n += t.nvcsw;
  return n;
}

uint64_t Process::total_nivcsw() const {
  uint64_t n = 0;
  for (const Task& t : tasks) n += t.nivcsw;
  return n;
}

uint64_t Process::total_cpu_ns() const {
  uint64_t n = 0;
  for (const Task& t : tasks) n += t.utime_ns + t.stime_ns;
  return n;
}

void Process::sort_tasks() {
  const auto leader_first = [pid = pid](const Task& a, const Task& b) {
    if ((a.tid == pid) != (b.tid == pid)) return a.tid == pid;
    return a.tid < b.tid;
  };
  // A source lists a group's threads in creation order: ascending tids, in a few runs where the
  // pid space wrapped (pid_max is 32768 on small machines). Merging those runs is linear each;
  // std::sort of 10k Tasks in two runs was 15% of a 1 s recorder's CPU.
  constexpr int kMaxRuns = 8;
  std::vector<size_t> ends;
  for (auto it = tasks.begin(); it != tasks.end() && ends.size() <= kMaxRuns;) {
    it = std::is_sorted_until(it, tasks.end(), leader_first);
    ends.push_back(static_cast<size_t>(it - tasks.begin()));
  }
  if (ends.size() == 1) return;
  if (ends.size() > kMaxRuns) {
    std::sort(tasks.begin(), tasks.end(), leader_first);
    return;
  }
  for (size_t k = 1; k < ends.size(); ++k)
    std::inplace_merge(tasks.begin(), tasks.begin() + static_cast<ptrdiff_t>(ends[k - 1]), tasks.begin() + static_cast<ptrdiff_t>(ends[k]),
                       leader_first);
}

}  // namespace ts
