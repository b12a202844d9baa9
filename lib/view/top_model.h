// top_model.h: the task table of `taskscope top` computed from a Frame and the TopState: which rows
// (filtered by user and name, sorted, flat or as a tree, LWPs under their process, dying rows
// marked), the rates of each (a process row's are the sum over its threads), the goro M↔LWP
// labels, and where the selection is. No terminal, no I/O: tests drive it with hand-built Frames.
#pragma once
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "view/columns.h"
#include "view/frame.h"
#include "view/top_state.h"

namespace ts::view {

// DisplayRow is one table row as shown.
struct DisplayRow {
  Row row;                  // the columns' row (borrowed from the Frame)
  RowId id;                 // {pid, 0} for a process row, {pid, tid} for an LWP row
  int depth = 0;            // 0 for a top-level row; tree children and LWPs are deeper
  std::vector<bool> last;   // for each level 1..depth: whether that ancestor (or the row itself,
                            // last entry) is its parent's last child (how the tree is drawn)
  bool thread = false;      // an LWP row under its process
  bool tagged = false;      // in TopState::tagged
};

// GoroLabels maps a tid to what its LWP row shows after its name: "M3 → G1234 worker()".
using GoroLabels = std::unordered_map<int32_t, std::string>;

// TableKey is everything build_table() reads: the frame (by address and number: a frame is
// immutable), the labels, and the TopState settings that choose and order the rows. A redraw whose
// key is the one its table was built from (a key press that only moves the selection or scrolls)
// reuses that table instead of sorting every row again.
struct TableKey {
  const Frame* frame = nullptr;
  uint64_t seq = 0;
  const GoroLabels* labels = nullptr;
  TableMode mode = TableMode::Processes;
  bool tree = false;
  std::string sort;
  bool sort_reversed = false;
  std::string filter, user;
  std::set<RowId> tagged;
  bool operator==(const TableKey&) const = default;
};

// table_key() is the key of build_table(f, st, labels).
TableKey table_key(const Frame& f, const TopState& st, const GoroLabels& labels);

// TableView is the table to show: its columns and rows, and which row is selected.
struct TableView {
  std::vector<const ColumnSpec*> cols;
  RenderEnv env;
  std::vector<DisplayRow> rows;
  int selected = -1;        // index into rows; -1 when there is none
  TableKey built_from;      // what it was built from (build_table() sets it)
};

// SymbolizeFn names the function at a code address in process `pid` ("" when unknown).
using SymbolizeFn = std::function<std::string(int32_t pid, uint64_t pc)>;

// top_column_ids() are the columns the table shows: PID, TID (in thread mode), USER, PRI, NI,
// VIRT, RES, S, CPU%, MEM%, TIME+, NLWP, NVCSW/s, NIVCSW/s, DELAY (when the source measures
// run-queue delay), RT (goro or the Go version), COMMAND.
std::vector<std::string_view> top_column_ids(TableMode mode, bool delay);

// top_fields() is what the collector must read for what the screen shows: the union of the Fields
// of the `shown` columns (ids) and of st's sort column, with the task states the header counts. A
// column not shown costs no read.
Fields top_fields(const std::vector<std::string_view>& shown, const TopState& st);
// top_fields() for every column of the table (top_column_ids(st.mode, delay)), before any is drawn.
Fields top_fields(const TopState& st, bool delay);

// delay_shown() tells whether the frame's source measures run-queue delay (the DELAY column).
bool delay_shown(const Frame& f);

// goro_labels() computes the M↔LWP join of every goro process in the frame: each M's LWP gets
// "M<id> → G<goid> <function>" while it runs a G (the G's start function, named by `symbolize`),
// else "M<id> idle", "M<id> spinning", "M<id> parked" or "M<id> syscall". `utf8` picks → or ->.
GoroLabels goro_labels(const Frame& f, const SymbolizeFn& symbolize, bool utf8);

// text_contains() tells whether `hay` contains `needle`, ignoring ASCII case (true for "").
bool text_contains(std::string_view hay, std::string_view needle);

// row_matches() tells whether a row's name (a thread's own name; a process's command line and
// name) contains `needle`, ignoring ASCII case. An empty needle matches every row.
bool row_matches(const Row& r, std::string_view needle);

// build_table() computes the rows from the frame and the state (mode, tree, sort, filter, user,
// tags). Rows borrow from `f` and `labels`, which must outlive the view. An unknown or unsortable
// st.sort falls back to CPU%. `selected` is where st.selected is, or -1 (see settle_selection()).
TableView build_table(const Frame& f, const TopState& st, const GoroLabels& labels = {});

// settle_selection() keeps the selection on the same pid/tid: finds st.selected in `v`; when that
// row is gone, selects the row now at the index it had (clamped), the first row at first. Then
// scrolls so that it shows among `page` rows (with follow, on the line it had on screen) and sets
// v.selected.
void settle_selection(TopState& st, TableView& v, int page);

// row_for_pid() is the index of pid's process row in `v`, or -1.
int row_for_pid(const TableView& v, int32_t pid);

}  // namespace ts::view
