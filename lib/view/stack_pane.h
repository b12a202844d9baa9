// stack_pane.h: the stack pane of `taskscope top` (s): the selected process's (or thread's) stacks
// as `taskscope stack PID [-t TID]` prints them, or the one line that says why they could not be
// taken. The dump itself is taken off the UI thread (tools/top/stack_capture.h); this is what the
// pane shows of it, as data.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "view/screen.h"
#include "view/top_state.h"

namespace ts::view {

// StackView is the stack pane's content.
struct StackView {
  RowId target;                    // the process (tid 0: every thread) or the one thread
  std::string name;                // its name when it was asked for (untrusted bytes)
  bool capturing = false;          // the dump is being taken
  std::vector<std::string> lines;  // the dump's text, one line each (names already escaped)
  std::string error;               // why it could not be taken ("" when it was)
  uint64_t took_ns = 0;            // how long taking it took
};

// stack_pane_lines() is the pane: a title naming the target (and "capturing…" while the dump is
// taken), then the error as one line, or the dump's lines.
std::vector<Line> stack_pane_lines(const StackView& v, bool utf8);

}  // namespace ts::view
