// observe.h: what the kernel says about a measuring child, read from outside through the /proc
// source (the same reader `taskscope ps` uses): its RSS and its tasks' context-switch counts.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "model/source.h"

namespace ts::costs {

// Switches is a pair of kernel context-switch counts.
struct Switches {
  uint64_t nvcsw = 0;   // voluntary: the task blocked
  uint64_t nivcsw = 0;  // involuntary: the task was preempted
};

// Observer reads one child's counters. Not thread-safe.
class Observer {
 public:
  // Observer() opens the /proc source; throws ts::Error when /proc cannot be read.
  Observer();
  ~Observer();

  // rss() is pid's resident set size in bytes (VmRSS); throws ts::Error when pid is gone.
  uint64_t rss(pid_t pid);
  // switches() sums the counts of pid's tasks `tids` (every task when empty); throws ts::Error
  // when pid or one of the tids is gone.
  Switches switches(pid_t pid, const std::vector<pid_t>& tids = {});
  // wait_asleep() polls (up to 10 s) until pid's tasks `tids` (every task when empty) sleep
  // ('S'): a child that has reported is still on its way into its next wait. Throws ts::Error
  // when they never do.
  void wait_asleep(pid_t pid, const std::vector<pid_t>& tids = {});

 private:
  std::unique_ptr<Source> src_;
};

}  // namespace ts::costs
