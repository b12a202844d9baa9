// trace.h: `taskscope trace clone|exec|exit|sched`: options and the run loop, for the CLI and tests.
#pragma once
#include <cstdint>
#include <string>

#include "bpf/trace_stream.h"
#include "registry.h"
#include "trace_print.h"

namespace ts::tools {

// TraceOptions is a parsed `taskscope trace` command line.
struct TraceOptions {
  TraceMode mode = TraceMode::Clone;
  bpf::TraceFilter filter;  // -p, -t, --comm
  std::string duration;     // "" = until Ctrl-C or SIGTERM
  bool json = false;        // NDJSON, one object per line
  bool summary = false;     // sched only: aggregate in the kernel
  size_t top = 5;           // sched --summary: threads whose histograms are printed
  bool top_given = false;   // --top was on the command line (it only means something with --summary)
};

// parse_duration_ns() reads "5s", "500ms", "250us", "2m", "1h" or a bare number of seconds
// ("1.5"). Throws ts::Error (status 2) naming the text for anything else, or for anything under
// 1 ns (a zero duration would mean "until Ctrl-C").
uint64_t parse_duration_ns(const std::string& text);

// check_trace_options() refuses option combinations that would do nothing, as usage errors
// (ts::Error, status 2): --summary outside sched, --top without --summary or with --json.
void check_trace_options(const TraceOptions& opts);

// run_trace() checks privileges and the filter's pid/tid, loads the tracer, prints events (or,
// with summary, the per-thread table) until the duration ends or SIGINT/SIGTERM arrives, then
// prints the count of lost events. Returns the exit status; throws ts::Error for failures.
int run_trace(Context& ctx, const TraceOptions& opts);

}  // namespace ts::tools
