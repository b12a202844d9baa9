// frame.h: Frame, everything one refresh of `taskscope top` shows, collected off the UI thread
// (lib/view/collector.h) and handed to the UI whole and immutable. Plain data, no I/O: view-model
// tests build Frames by hand.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/event.h"
#include "model/gmp.h"
#include "model/machine.h"
#include "model/snapshot.h"

namespace ts::view {

// ProcessRate is how fast a whole process's counters moved: the sum of its live threads' rates
// (a thread new in this frame has no rate yet and adds nothing).
struct ProcessRate {
  double cpu_pct = 0;          // percent of one CPU (200 = two CPUs busy)
  double nvcsw_ps = 0;         // voluntary switches per second
  double nivcsw_ps = 0;        // involuntary switches per second
  double run_delay_ms_ps = 0;  // ms per second spent waiting on a run queue (BPF source only)
};

// Runtimes maps a pid to the language runtime it runs (top's RT column): "goro", "go1.19" (a Go
// program: the Go version without its patch level), or "go" when its binary does not say which
// version. Processes with neither are absent.
using Runtimes = std::unordered_map<int32_t, std::string>;

// Frame is one refresh: the tasks, their rates, the machine, goro runtimes and events.
struct Frame {
  uint64_t seq = 0;              // 1, 2, ... in collection order
  uint64_t taken_ns = 0;         // CLOCK_MONOTONIC when the pass began (= snap.taken_ns)
  double interval_s = 0;         // since the previous frame; 0 for the first (no rates yet)
  Snapshot snap;                 // every task seen (the source's own pids: our pid namespace)
  Rates rates;                   // tid -> TaskRate, for tasks seen in both frames
  std::unordered_map<int32_t, ProcessRate> process_rates;  // pid -> sum over its threads
  std::unordered_map<int32_t, double> run_delay_ms_ps;     // tid -> ms/s on a run queue (BPF only)
  std::vector<Process> dying;    // tasks seen last frame and gone now, grouped by process; shown
                                 // one refresh as dying rows (a process here may hold only the
                                 // threads that ended, its survivors are in snap)
  MachineSample machine;         // machine-wide counters now
  MachineRates machine_rates;    // and their rates since the previous frame
  std::map<int32_t, GoroSnapshot> goro;  // pid -> its G/M/P: every goro process's (published), and
                                         // the Go programs' the UI asked for (read from their memory)
  std::map<int32_t, std::string> gmp_errors;  // pid -> why its G/M/P could not be read (one line)
  Runtimes runtimes;             // pid -> "goro" or "go1.19": the RT column
  std::vector<Event> events;     // clone/exec/exit events since the previous frame, in order
  uint64_t events_lost = 0;      // events dropped since tracing began (ring buffer full)
  bool events_on = false;        // the event tracers run (false: no BPF, or not loaded yet)
  bool events_starting = false;  // the event tracers are still loading (events_on once they run)
  double clones_ps = 0, threads_ps = 0;  // from events: new processes and new threads per second
  bool clones_known = false;     // those two cover the whole interval (the tracer ran through it)
  std::vector<std::string> notes;  // what could not be read, for the header (one line each)
  uint64_t collect_ns = 0;       // what this pass cost the collector (wall time)
};

}  // namespace ts::view
