// trace_print.h: how `taskscope trace` shows events: aligned text lines or NDJSON objects.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/event.h"

namespace ts::tools {

// TraceMode is the trace subcommand being run.
enum class TraceMode { Clone, Exec, Exit, Sched };

// trace_mode_name() is "clone", "exec", "exit" or "sched".
const char* trace_mode_name(TraceMode m);

// event_json() is one event as the JSON object `--json` prints on a line of its own: "type"
// ("clone", "exec", "exit", "switch"), "ts_ns", "cpu", and "pid", "tid", "comm" of the task in whose
// context the kernel reported it (clone: the creator; exec: the new program; exit: the exiting
// thread; switch: the task leaving the CPU), then the event's own fields.
nlohmann::json event_json(const Event& e);

// TraceEnd is what the closing line of a trace says.
struct TraceEnd {
  TraceMode mode = TraceMode::Clone;
  bool summary = false;        // counts threads (--summary) rather than events
  int32_t pid = 0;             // the -p filter, 0 when every process was traced
  uint64_t count = 0;          // events printed, or threads summarised
  uint64_t lost = 0;           // events the kernel could not hand over
  uint64_t unread = 0;         // records still in the ring when the run's bound ended it
  std::string attach;          // "tp_btf" or "raw_tp"
  uint64_t duration_ns = 0;    // how long tracing ran
};

// end_json() is the closing object of `--json`: {"type":"end","pid":PID or null,"mode":..,
// "events" (or "threads"),"lost","unread","attach","duration_ns"}.
nlohmann::json end_json(const TraceEnd& e);

// text_header() is the column header line of `mode`'s text output (no newline).
std::string text_header(TraceMode mode);

// event_text() is one event as a text line aligned under text_header() (no newline). `t0_ns`
// is the tracer's start (monotonic ns), from which the TIME(s) column counts.
std::string event_text(const Event& e, uint64_t t0_ns);

// exit_status_text() says how a task ended: "exit 0", "signal SIGKILL", "signal SIGSEGV (core)".
std::string exit_status_text(const ExitEvent& e);


}  // namespace ts::tools
