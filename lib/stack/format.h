// format.h: printing a Dump: threads in gdb's pstack format, goroutines in Go's traceback
// format, or NDJSON (one object per thread and per G, then an "end" object).
#pragma once
#include <ostream>

#include "stack/dump.h"

namespace ts::stack {

// PrintOptions says what the text shows.
struct PrintOptions {
  bool source = true;          // "at file:line"
  bool goroutines = true;      // the goroutine section
};

// print_text() writes the dump as gdb's `thread apply all bt` and Go's goroutine dump do, and
// ends with one line giving the longest time any thread was stopped. Every name and path from
// the target goes through sys::printable().
void print_text(std::ostream& out, const Dump& d, const PrintOptions& po = {});

// print_json() writes NDJSON: {"type":"thread",...} per LWP (gdb's order), {"type":"goroutine",...}
// per G, then {"type":"end",...} with the longest stop and the notes. Frames are arrays of
// {pc, function, file, line, inline, module, offset} (plus module_addr and build_id).
void print_json(std::ostream& out, const Dump& d);

// print_notes() writes each note as "taskscope: NOTE" (for standard error).
void print_notes(std::ostream& err, const Dump& d);

// state_name() is the word for a /proc state letter ("sleeping", "running", "stopped"...).
const char* state_name(char state);

}  // namespace ts::stack
