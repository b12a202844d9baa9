// row.h: CostRow, one line of `taskscope bench`: what creating, switching between and keeping an
// idle unit of one kind (process, thread, goroutine) costs, with how each figure was taken; and
// Plan, how much work each measurement does.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "costs/spread.h"

namespace ts::costs {

// CostRow is one measured row. Times are ns per unit, memory bytes per unit.
struct CostRow {
  std::string id;    // what --only names: process, exec, thread, goro, go
  std::string kind;  // the unit: process, thread, goro, go
  std::string title;  // the row's label in the table ("process fork")

  std::string create_how;  // "fork+exit+wait"
  Spread create_ns;        // per unit created, run and reaped

  std::string switch_how;     // "pipe ping-pong"; empty when the row has no switch figure
  Spread switch_ns;           // per switch between two units on one CPU
  std::string roundtrip_how;  // "pipe", "futex", "unbuffered chan"
  Spread roundtrip_ns;        // per round trip (two switches)
  uint64_t switches = 0;      // unit switches made while the kernel's counts were watched
  bool kernel_watched = false;  // nvcsw/nivcsw below were read around those switches
  uint64_t nvcsw = 0;           // voluntary switches the kernel counted (the protocol's own waits subtracted)
  uint64_t nivcsw = 0;          // involuntary ones (preemptions: by the partner, or by other load)

  std::string memory_how;       // "a forked copy of taskscope, waiting"
  uint64_t rss_bytes = 0;       // RSS per idle unit, measured from outside
  uint32_t rss_units = 0;       // how many idle units the figure averages
  uint64_t reserved_bytes = 0;  // the stack each unit reserves
  std::string reserved_how;     // "ulimit -s", "goro stack size", "Go's starting stack"

  std::string seed_create;  // what the seeds say: "big", "medium", "small"
  std::string seed_switch;  // "big", "medium", "very small"
};

// make_row() starts a row with its names, the seeds' words and how units are created.
CostRow make_row(const char* id, const char* kind, const char* title, const char* seed_create,
                 const char* seed_switch, const char* create_how);

// Plan is how much each measurement does; quick() is a fraction of full().
struct Plan {
  int rounds = 9;             // measured rounds per figure; one warm-up round more is discarded
  int fork_batch = 500;       // processes forked per round
  int exec_batch = 300;       // processes vfork+exec'd per round
  int thread_batch = 2000;     // threads created per round
  int g_batch = 50000;        // goroutines spawned per round (1000 in flight at most)
  int trips = 20000;           // process and thread ping-pong round trips per round
  int yields = 200000;        // yields per goroutine per round
  int chan_trips = 100000;     // channel round trips per round
  int park_threads = 128;     // idle threads whose RSS is averaged
  int park_gs = 4096;         // idle goroutines whose RSS is averaged
  std::vector<int> create_cpus;  // CPUs the create rounds may use (--cpus)
  int switch_cpu = 0;            // the one CPU both sides of a switch test are pinned to

  // full() is the default run (well under 30 s on a loaded 2-core machine).
  static Plan full();
  // quick() is --quick: a few seconds, the same shape.
  static Plan quick();
};

}  // namespace ts::costs
