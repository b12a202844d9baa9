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
Rates diff(const Snapshot& prev, const Snapshot& cur);

}  // namespace ts
