// gmp_pane.h: the G/M/P pane of `taskscope top` (g): a goro process's Ps with their run queues,
// its Ms joined to their LWP rows (the thread's name and kernel switch rates beside the G it runs:
// what no other tool shows), its Gs counted by state and wait reason, and the longest-waiting Gs.
#pragma once
#include <cstddef>
#include <vector>

#include "view/frame.h"
#include "view/screen.h"
#include "view/top_model.h"

namespace ts::view {

// kWaitingGsShown is how many of the longest-waiting Gs the pane lists (and a recording keeps).
constexpr size_t kWaitingGsShown = 10;

// MJoin is one M joined to its LWP.
struct MJoin {
  const GoroM* m = nullptr;
  const Task* lwp = nullptr;    // the M's thread in the frame's snapshot; null when it is gone
  const GoroG* g = nullptr;     // the G it runs, or null
  RowRate rate;                 // the LWP's kernel rates (unknown when the frame has none)
};

// gmp_pids() lists, in pid order, the processes of `f` whose G/M/P top can show: goro ones and Go
// programs (Frame::runtimes).
std::vector<int32_t> gmp_pids(const Frame& f);

// go_pids_shown() lists, in pid order, the Go programs whose G/M/P the collector should read for
// the screen of `st`: the G/M/P pane's, and in thread mode those with a row among the `page` table
// rows from st.scroll of `v` (their Ms join their LWP rows).
std::vector<int32_t> go_pids_shown(const Frame& f, const TopState& st, const TableView& v, int page);

// join_ms() joins each M of `g` to its LWP in `f` (by tid, within process g.pid).
std::vector<MJoin> join_ms(const Frame& f, const GoroSnapshot& g);

// gmp_pane_lines() is the pane for process `pid` of `f` (a line saying why when there is no G/M/P
// state: none published, a Go program's not read yet, or the reader's error). `prev`: the same process's snapshot one frame earlier (G switches/s), may be null.
std::vector<Line> gmp_pane_lines(const Frame& f, int32_t pid, const GoroSnapshot* prev, const SymbolizeFn& symbolize,
                                 bool utf8);

}  // namespace ts::view
