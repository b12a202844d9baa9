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

// event_json() is one event as the JSON object `--json` prints on a line of its own.
nlohmann::json event_json(const Event& e);

// text_header() is the column header line of `mode`'s text output (no newline).
std::string text_header(TraceMode mode);

// event_text() is one event as a text line aligned under text_header() (no newline). `t0_ns`
// is the tracer's start (monotonic ns), from which the TIME(s) column counts.
std::string event_text(const Event& e, uint64_t t0_ns);

// exit_status_text() says how a task ended: "exit 0", "signal SIGKILL", "signal SIGSEGV (core)".
std::string exit_status_text(const ExitEvent& e);

// printable() replaces control characters with '?' so a name or argument from another process
// stays on one line of text.
std::string printable(const std::string& s);

// json_line() dumps `j` on one line, replacing invalid UTF-8 (names and argv come from other processes).
std::string json_line(const nlohmann::json& j);

}  // namespace ts::tools
