// top_state.h: TopState, everything the user of `taskscope top` has set: what the table shows and
// how, what is selected and tagged, which pane is open. Plain data: keys.h changes it, top_model.h
// reads it with a Frame to compute the screen. Nothing here knows a terminal.
#pragma once
#include <compare>
#include <cstdint>
#include <set>
#include <string>

namespace ts::view {

// TableMode is what a table row is: a process, or (H) every LWP under its process.
enum class TableMode { Processes, Threads };

// Pane is the main area's content.
enum class Pane {
  Table,   // the task table (with the header above it)
  Detail,  // one process: its LWPs with their rates, its memory segments, its events (Enter)
  Events,  // clone/exec/exit as they happen, with the clone's verdict (e)
  Gmp,     // a goro or Go process's Ps, Ms joined to their LWPs, Gs by state (g)
  Stack,   // the selected process's (or thread's) stacks, as `taskscope stack` prints them (s)
  Help,    // every key (? or F1)
};

// Prompt is a line or menu open over the pane, taking keys until Enter or Esc.
enum class Prompt {
  None,
  Search,    // "/": the selection jumps to the next row whose name matches
  Filter,    // "\": only rows whose name matches are shown
  Signal,    // "k"/F9: which signal to send to the tagged rows (or the selected one)
  SortMenu,  // F6: which column to sort by
  Time,      // "@" in a replay: the time to jump to (--at's forms)
};

// Layout is how the screen is split: htop's table first, or gotop's graphs first.
enum class Layout { TableFirst, GraphFirst };

// RowId names a table row across frames: a process row (tid 0) or one LWP of a process.
struct RowId {
  int32_t pid = 0;
  int32_t tid = 0;  // 0 for a process row
  auto operator<=>(const RowId&) const = default;
};

// TopState is what the user set. Default: processes sorted by CPU% (highest first), table first.
struct TopState {
  TableMode mode = TableMode::Processes;
  bool tree = false;                 // t: processes under their parents
  std::string sort = "pcpu";         // column id (view/columns.h) with a sort key
  bool sort_reversed = false;        // I or a second click on the header: the other direction
  std::string filter;                // "\": substring of a name or command (case-insensitive)
  std::string search;                // "/": the last search text
  std::string user;                  // -u: only this user's processes ("" all)

  RowId selected;                    // the selected row ({0,0}: the first row)
  int selected_index = 0;            // where it was last shown (kept when the row disappears)
  int scroll = 0;                    // first table row shown
  int screen_line = 0;               // with follow: the line the selected row stays on
  std::set<RowId> tagged;            // space: rows a signal or nice goes to
  bool follow = false;               // F: the view scrolls with the selected row as it moves
  bool paused = false;               // p: the frame on screen stays (the collector stops publishing)

  Pane pane = Pane::Table;
  Prompt prompt = Prompt::None;
  std::string input;                 // what is being typed at a Search, Filter or Time prompt
  int menu_index = 0;                // the cursor of the Signal or SortMenu prompt
  int pane_scroll = 0;               // first line shown of the Detail, Events, Gmp or Help pane
  int32_t detail_pid = 0;            // the process the Detail pane shows
  int32_t gmp_pid = 0;               // the process the Gmp pane shows (0: the first goro process)
  RowId stack_of;                    // the process (tid 0) or thread the Stack pane shows
  Layout layout = Layout::TableFirst;
  std::string message;               // one line under the table until the next key ("kill: ...")
  bool quit = false;
};

}  // namespace ts::view
