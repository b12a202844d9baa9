// compose.h: compose(), the whole screen of `taskscope top` for one refresh from the Frame, the
// TopState and what top keeps between frames (history, events, goro labels, the detail's maps):
// the header meters or the graphs (per the layout), the table or the open pane, a prompt or menu,
// and htop's function-key bar, cut to the terminal's size (20x5 shows what fits).
#pragma once
#include <cstdint>
#include <string>

#include "view/detail_pane.h"
#include "view/events_pane.h"
#include "view/frame.h"
#include "view/screen.h"
#include "view/stack_pane.h"
#include "view/top_history.h"
#include "view/top_model.h"
#include "view/top_state.h"

namespace ts::view {

// TopInputs is what compose() reads besides the frame and the state. Pointers may be null.
struct TopInputs {
  std::string source = "proc";            // the source that opened ("proc" or "bpf")
  const TopHistory* history = nullptr;
  const EventLog* events = nullptr;
  const GoroLabels* labels = nullptr;     // the M↔LWP join of this frame
  SymbolizeFn symbolize;                  // names G functions (may be empty)
  const DetailMaps* detail = nullptr;     // the detail pane's maps
  const GoroSnapshot* gmp_prev = nullptr; // the G/M/P pane's process one frame earlier
  uint64_t wall_offset_ns = 0;            // realtime - monotonic, for event times
  const StackView* stack = nullptr;       // the stack pane's dump
};

// compose() computes the screen. It settles the selection in `st` (same pid/tid, scrolled into
// view) and leaves in `table` the rows as shown, which keys (apply_key) act on; `table` borrows
// from `f` and `in.labels`. A `table` built from the same frame and table settings (its
// built_from) is kept as it is, not built again. It also returns how many lines the open pane has in pane_lines.
Screen compose(const Frame& f, TopState& st, const TopInputs& in, const ScreenOptions& opt, TableView& table,
               int& pane_lines);

// table_lines() is the table (column titles, then rows [first, first+count)) `width` cells wide;
// columns keep fixed widths so they do not jump between frames, COMMAND takes the rest. When the
// width leaves COMMAND less than 24 cells, the least useful columns are left out (PRI, VIRT, NLWP,
// NI, MEM%, TIME+, RT, USER, DELAY, NIVCSW/s, RES, in that order). `geo`, when given, receives the
// shown columns and their titles' x ranges. What batch mode prints (every row, width unbounded).
std::vector<Line> table_lines(const TableView& v, const TopState& st, size_t first, size_t count, int width, bool utf8,
                              Geometry* geo = nullptr);

// help_lines() is the help pane: every key and what it does, then the columns.
std::vector<Line> help_lines();

}  // namespace ts::view
