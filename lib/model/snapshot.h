// snapshot.h: Snapshot, every process and task at one instant, and the rates between two.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/fields.h"
#include "model/task.h"

namespace ts {

// Snapshot is what a Source saw in one pass. It owns its data and does no I/O.
struct Snapshot {
  uint64_t taken_ns = 0;           // CLOCK_MONOTONIC when the pass began
  uint64_t boot_time_unix_ns = 0;  // wall-clock time of boot, to turn start_ns into dates
  Fields fields = 0;               // what the source filled
  std::string source;              // "proc" or "bpf"
  std::vector<Process> processes;  // sorted by pid
  std::vector<std::string> notes;  // what the source could not read of what was asked, one line
                                   // each, for the user (empty: nothing to say)

  // find() returns the process with this pid, or nullptr.
  const Process* find(int32_t pid) const;
  // task_count() counts every task in every process.
  size_t task_count() const;
};

// TaskRate is how fast a task's counters moved between two snapshots.
struct TaskRate {
  double cpu_pct = 0;     // utime+stime growth as a percentage of one CPU
  double nvcsw_ps = 0;    // voluntary switches per second
  double nivcsw_ps = 0;   // involuntary switches per second
};

// Rates maps a tid to its TaskRate. Tasks new in the later snapshot have no entry.
using Rates = std::unordered_map<int32_t, TaskRate>;

// diff() computes rates from `prev` to `cur`. A tid that was reused (start time changed)
// or whose counters went backwards has no entry. Returns empty when cur is not later than prev.
// Both must be sorted as sources make them (see match_tasks()).
Rates diff(const Snapshot& prev, const Snapshot& cur);

// match_tasks() walks `prev` and `cur` together, both sorted as Snapshot promises (processes by
// pid, each one's tasks leader first, then by tid), and calls both(p, a, b) for each task a of
// prev's process p that cur still has as b (same tid and start time), gone(p, a) for each task a
// that cur no longer has (its tid gone, or reused by a task that started later). Linear, no
// lookups or allocation.
template <class Both, class Gone>
void match_tasks(const Snapshot& prev, const Snapshot& cur, Both both, Gone gone) {
  // place() orders a process's tasks: the leader first, then the others by tid.
  const auto place = [](const Task& t) { return t.is_leader() ? int64_t{-1} : int64_t{t.tid}; };
  auto q = cur.processes.begin();
  for (const Process& p : prev.processes) {
    while (q != cur.processes.end() && q->pid < p.pid) ++q;
    if (q == cur.processes.end() || q->pid != p.pid) {
      for (const Task& a : p.tasks) gone(p, a);
      continue;
    }
    auto b = q->tasks.begin();
    for (const Task& a : p.tasks) {
      while (b != q->tasks.end() && place(*b) < place(a)) ++b;
      if (b != q->tasks.end() && b->tid == a.tid && b->start_ns == a.start_ns) both(p, a, *b);
      else gone(p, a);
    }
  }
}

}  // namespace ts
