// gmp_view.h: printing a GoroSnapshot as Go's schedtrace would, as tables, or as NDJSON.
#pragma once
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "model/gmp.h"
#include "sym/proc_symbols.h"

namespace ts::tools {

// Symbolize maps a code address to a site; `return_address` as in ProcSymbols::lookup().
using Symbolize = std::function<sym::Site(uint64_t pc, bool return_address)>;

// GmpView holds what one frame of `taskscope gmp` prints besides the snapshot itself.
struct GmpView {
  uint64_t now_unix_ns = 0;          // wall clock at the read, for the SCHED line's "Nms" uptime
  const GoroSnapshot* prev = nullptr;  // the previous frame (-i), for rates; nullptr on the first
  bool all_gs = false;               // include dead and idle Gs
  Symbolize symbolize;               // may be empty: sites then print as hex
};

// SchedSummary is the SCHED line's numbers, as Go's schedtrace computes them.
struct SchedSummary {
  uint64_t uptime_ms = 0;
  uint32_t gomaxprocs = 0, idleprocs = 0, threads = 0, spinningthreads = 0, idlethreads = 0;
  uint64_t runqueue = 0;             // global run queue
  std::string runqs;                 // "[0 3]": local run queue per live P
};

// sched_summary() computes the SCHED line's numbers from a snapshot.
SchedSummary sched_summary(const GoroSnapshot& s, uint64_t now_unix_ns);

// print_gmp_text() writes the SCHED line, then the P, M and G tables.
void print_gmp_text(std::ostream& out, const GoroSnapshot& s, const GmpView& v);

// print_gmp_json() writes one NDJSON object with "type":"sched", then one per P, M and G
// ("type":"p"/"m"/"g"), each with the process's "pid".
void print_gmp_json(std::ostream& out, const GoroSnapshot& s, const GmpView& v);

}  // namespace ts::tools
