// switch_cache.h: context-switch counts kept across /proc passes, so that a task that has not run
// since the last pass costs no read of its status file.
//
// libproc2 has no context-switch items: they come from /proc/PID/task/TID/status, the most
// expensive file of a task to open and generate (signal masks, CPU lists...). A repeating
// reader (top, record, export) reads each task's schedstat anyway for run-queue delay; its time
// on a CPU and its run count change whenever the task runs, and a task that has not run cannot
// have switched. So status is read again only for tasks whose schedstat moved.
#pragma once
#include <cstdint>
#include <unordered_map>

#include "procfs/proc_text.h"

namespace ts::procfs {

// SwitchCache remembers, per task, its last status counts and the schedstat values seen with them.
// One instance belongs to one repeating reader; it is not thread-safe.
class SwitchCache {
 public:
  // begin_pass() starts a pass: entries not looked up since the previous begin_pass() are dropped
  // (their tasks exited), so the cache never holds more tasks than the last pass saw.
  void begin_pass();

  // lookup() returns the cached counts of task `tid` started at `start` (any value that tells a
  // reused tid apart, e.g. stat's starttime) when `now` (its schedstat, read BEFORE this call)
  // shows it has not run since its counts were read, and the counts were confirmed by a read
  // made when schedstat had already stopped moving. Otherwise nullptr: the caller reads status
  // and calls store(). The confirmation pass closes the race where a task switches out between
  // the schedstat read and the status read: its schedstat stops moving at the new value while
  // the status text read in that pass was taken just before the switch was counted.
  const Switches* lookup(int32_t tid, uint64_t start, const SchedStat& now);

  // store() records the counts just read from status for task `tid`, with the schedstat `now`
  // read before them.
  void store(int32_t tid, uint64_t start, const SchedStat& now, const Switches& counts);

  // size() is the number of tasks remembered.
  size_t size() const { return entries_.size(); }

  // status_reads() counts store() calls since construction (what a pass could not reuse).
  uint64_t status_reads() const { return status_reads_; }

 private:
  struct Entry {
    uint64_t start = 0;
    uint64_t cpu_ns = 0, pcount = 0;  // schedstat when counts were read
    Switches counts;
    bool confirmed = false;  // counts read while schedstat already stood at cpu_ns/pcount
    uint32_t pass = 0;       // last pass that looked it up
  };
  std::unordered_map<int32_t, Entry> entries_;
  uint32_t pass_ = 0;
  uint64_t status_reads_ = 0;
};

}  // namespace ts::procfs
