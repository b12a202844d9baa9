// keys.h: what each key does in `taskscope top`, as pure transitions of TopState plus an Effect
// for what only the program can do (send a signal, renice, quit, pause the collector). htop's keys:
// someone who knows htop can use top without reading the man page.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "view/screen.h"
#include "view/top_model.h"
#include "view/top_state.h"

namespace ts::view {

// KeyKind is a key as the input layer decoded it.
enum class KeyKind {
  None, Char, Up, Down, Left, Right, PageUp, PageDown, Home, End, Enter, Escape, Backspace, Delete,
  F,           // a function key: Key::f is 1..12
  Click,       // a mouse button press at (x, y)
  WheelUp, WheelDown,
};

// Key is one input event.
struct Key {
  KeyKind kind = KeyKind::None;
  char32_t ch = 0;  // Char: the character typed
  int f = 0;        // F: the function key's number
  int x = -1, y = -1;  // Click: the cell clicked

  // Key::chr() is a typed character; Key::fn() a function key; Key::of() any other kind.
  static Key chr(char32_t c) { return Key{KeyKind::Char, c, 0, -1, -1}; }
  static Key fn(int n) { return Key{KeyKind::F, 0, n, -1, -1}; }
  static Key of(KeyKind k) { return Key{k, 0, 0, -1, -1}; }
  static Key click(int x, int y) { return Key{KeyKind::Click, 0, 0, x, y}; }
};

// EffectKind is what the program must do after a key.
enum class EffectKind {
  None,
  Quit,     // restore the terminal and exit 0
  Signal,   // send `value` to each of `targets` (a process row: the process; an LWP row: that thread)
  Renice,   // add `value` to the nice value of each of `targets` (a process row: all its threads)
  Pause,    // stop (value 1) or resume (value 0) taking frames
  Refresh,  // take a frame now (the fields or the view changed)
  Stack,    // take the stacks of targets[0] (a process row: every thread; an LWP row: that thread)
  Jump,     // a replay goes to the time typed at the Time prompt (TopState::input)
};

// Effect is one such action.
struct Effect {
  EffectKind kind = EffectKind::None;
  std::vector<RowId> targets;
  int value = 0;
};

// KeyContext is what a key needs to know of the screen it was pressed on.
struct KeyContext {
  const TableView* table = nullptr;  // the table as shown (rows in order)
  const Geometry* geo = nullptr;     // where things are, for mouse clicks
  int page = 10;                     // table rows on screen
  int pane_lines = 0;                // lines the open pane has (Detail, Events, Gmp, Help)
  std::vector<int32_t> goro_pids;    // processes whose G/M/P top can show (goro and Go), in pid order
};

// SignalChoice is one entry of the signal menu.
struct SignalChoice {
  int number;
  std::string name;  // "SIGTERM"
};

// signal_menu() lists the signals the k/F9 menu offers: 1..31 with their names.
const std::vector<SignalChoice>& signal_menu();

// sort_menu() lists the ids of the columns the table shows that can sort, in order (F6, < and >).
std::vector<std::string> sort_menu(const TableView& v);

// KeyHelp is one line of the help screen and of the man page's KEYS section.
struct KeyHelp {
  const char* keys;  // "k F9"
  const char* what;  // "send a signal to the tagged rows, or the selected one"
};

// key_help() lists every key top understands.
std::span<const KeyHelp> key_help();

// apply_key() changes `st` as `key` asks and returns what the program must do besides.
Effect apply_key(TopState& st, const Key& key, const KeyContext& ctx);

}  // namespace ts::view
