// recorder.h: `taskscope record`'s loop: top's Collector (the same passes, the same Frames) feeding
// a Writer, one sample per frame, until a stop signal.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>

#include "history/retention.h"

namespace ts::history {

// RecordOptions is what to record and where.
struct RecordOptions {
  std::string path;            // the recording file (created when missing, appended to otherwise)
  double delay_s = 1.0;        // between samples
  Retention retention;         // dropped beyond this
  bool threads = false;        // keep every thread, not one summed row per process
  std::string source = "auto"; // "auto", "proc" or "bpf"
  int64_t samples = 0;         // stop after this many (0: until stopped)
  bool events = true;          // trace clone/exec/exit (when BPF is usable)
  bool go = true;              // record Go programs' G/M/P too (view::go_programs(): bounded)
};

// record() records until `stop_fd` is readable (or opts.samples were written). The first sample
// waits (up to 2 s) for the event tracer so that the recording's events start with it. Notes (what
// cannot be recorded) go to `err` once. Returns the number of samples written; throws ts::Error
// when the file cannot be opened or written.
int64_t record(const RecordOptions& opts, int stop_fd, std::ostream& err);

}  // namespace ts::history
