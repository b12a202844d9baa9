// task.cpp: names for states and policies, and Process's aggregates.
#include "model/task.h"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "model/run_sort.h"

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
  sort_runs(tasks.begin(), tasks.end(), [pid = pid](const Task& a, const Task& b) {
    if ((a.tid == pid) != (b.tid == pid)) return a.tid == pid;
    return a.tid < b.tid;
  });
}

}  // namespace ts
