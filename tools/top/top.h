// top.h: `taskscope top`'s options and its two ways of running: full screen, or batch (text or
// NDJSON frames, as `top -b`).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "registry.h"
#include "view/collector.h"
#include "view/top_state.h"

namespace ts::tools::top {

// TopOptions is the parsed command line.
struct TopOptions {
  double delay_s = 1.0;            // -d: seconds between frames
  bool threads = false;            // -H: start with every LWP shown
  std::vector<std::string> pids;   // -p: only these processes (as given)
  std::string user;                // -u: only this user's processes
  std::string source = "auto";     // --source
  bool batch = false;              // -b
  int frames = 0;                  // -n: frames to print in batch mode (0: until interrupted)
  bool json = false;               // --json: NDJSON in batch mode
  std::string replay;              // --replay FILE: a recording (taskscope record) instead of the live system
  std::string at;                  // --at TIME: where the replay starts
};

// collector_config() turns the options into what the collector reads (the pids parsed, the
// fields the shown columns need, with run-queue delay when the source may give it).
view::CollectorConfig collector_config(const TopOptions& o);

// initial_state() is the TopState the options ask for (-H, -u).
view::TopState initial_state(const TopOptions& o);

// run_batch() prints `o.frames` frames (at least one) to ctx.out: each as a header and the whole
// table, or as NDJSON (a "frame" object, then one object per row, each with its "frame" number).
int run_batch(const TopOptions& o, Context& ctx);

// run_interactive() runs the full-screen viewer until q (or a stop signal).
int run_interactive(const TopOptions& o, Context& ctx);

}  // namespace ts::tools::top
