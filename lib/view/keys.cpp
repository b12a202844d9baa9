// keys.cpp: htop's keys as transitions of TopState.
#include "view/keys.h"

#include <algorithm>

#include "format/clone_flags.h"

namespace ts::view {

namespace {

constexpr KeyHelp kKeys[] = {
    {"Up Down PgUp PgDn Home End", "move the selection (or scroll the open pane)"},
    {"H", "show every thread (LWP) under its process, or processes only"},
    {"t F5", "tree: processes under their parents"},
    {"/ F3", "search: select the next row whose name contains the text (F3 again: the next one)"},
    {"\\ F4", "filter: show only rows whose name or command contains the text (Esc clears it)"},
    {"< >", "sort by the previous or next column"},
    {"F6", "choose the sort column from a menu"},
    {"I", "invert the sort order"},
    {"click", "on a column title: sort by it (again: invert); on a row: select it"},
    {"k F9", "send a signal to the tagged rows, or to the selected one"},
    {"F7 F8", "nice -1 (higher priority) or +1 (lower) for the tagged rows, or the selected one"},
    {"space", "tag or untag the selected row"},
    {"U", "untag every row"},
    {"F", "follow: keep the selected row on its screen line as rows move"},
    {"p", "pause: keep the frame on screen (press again to resume)"},
    {"Enter", "detail: the process's threads, memory segments and events"},
    {"e", "events: clone, exec and exit as they happen, with the clone's verdict"},
    {"g", "G/M/P: the runtime of the selected (or first) goro or Go process"},
    {"s", "stacks of the selected process (every thread) or thread, as taskscope stack prints them"},
    {"a F2", "layout: table first (htop) or graphs first (gotop)"},
    {"Esc", "back to the table; close a prompt or menu"},
    {"? F1 h", "this help"},
    {"q F10", "quit"},
};

bool selection_moves(KeyKind k) {
  return k == KeyKind::Up || k == KeyKind::Down || k == KeyKind::PageUp || k == KeyKind::PageDown ||
         k == KeyKind::Home || k == KeyKind::End;
}

// moved() is where a movement key takes index `i` among `n` lines, `page` per screen.
int moved(KeyKind k, int i, int n, int page) {
  switch (k) {
    case KeyKind::Up: i -= 1; break;
    case KeyKind::Down: i += 1; break;
    case KeyKind::PageUp: i -= page; break;
    case KeyKind::PageDown: i += page; break;
    case KeyKind::Home: i = 0; break;
    case KeyKind::End: i = n - 1; break;
    default: break;
  }
  return std::clamp(i, 0, std::max(0, n - 1));
}

void select_index(TopState& st, const TableView& v, int i) {
  if (v.rows.empty()) return;
  i = std::clamp(i, 0, static_cast<int>(v.rows.size()) - 1);
  st.selected = v.rows[size_t(i)].id;
  st.selected_index = i;
}

int current(const TopState& st, const KeyContext& ctx) {
  return ctx.table && ctx.table->selected >= 0 ? ctx.table->selected : st.selected_index;
}

// search_from() selects the first row at or after `from` (wrapping) whose name contains st.search.
void search_from(TopState& st, const KeyContext& ctx, int from) {
  if (!ctx.table || ctx.table->rows.empty() || st.search.empty()) return;
  const int n = static_cast<int>(ctx.table->rows.size());
  for (int k = 0; k < n; ++k) {
    const int i = (from + k) % n;
    if (row_matches(ctx.table->rows[size_t(i)].row, st.search)) {
      select_index(st, *ctx.table, i);
      st.message.clear();
      return;
    }
  }
  st.message = "search: no row matches '" + st.search + "'";
}

std::vector<RowId> targets(const TopState& st) {
  if (!st.tagged.empty()) return {st.tagged.begin(), st.tagged.end()};
  if (st.selected.pid > 0) return {st.selected};
  return {};
}

void pop_utf8(std::string& s) {
  while (!s.empty()) {
    const unsigned char c = static_cast<unsigned char>(s.back());
    s.pop_back();
    if ((c & 0xC0) != 0x80) break;
  }
}

void append_utf8(std::string& s, char32_t c) {
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
}

void set_sort(TopState& st, const std::string& id) {
  if (st.sort == id) {
    st.sort_reversed = !st.sort_reversed;
  } else {
    st.sort = id;
    st.sort_reversed = false;
  }
}

void cycle_sort(TopState& st, const KeyContext& ctx, int step) {
  if (!ctx.table) return;
  const std::vector<std::string> ids = sort_menu(*ctx.table);
  if (ids.empty()) return;
  auto it = std::find(ids.begin(), ids.end(), st.sort);
  const int n = static_cast<int>(ids.size());
  const int i = it == ids.end() ? 0 : static_cast<int>(it - ids.begin());
  st.sort = ids[size_t(((i + step) % n + n) % n)];
  st.sort_reversed = false;
}

Effect prompt_key(TopState& st, const Key& key, const KeyContext& ctx) {
  const bool text = st.prompt == Prompt::Search || st.prompt == Prompt::Filter || st.prompt == Prompt::Time;
  if (key.kind == KeyKind::Escape) {
    if (st.prompt == Prompt::Filter) st.filter.clear();
    st.prompt = Prompt::None;
    st.input.clear();
    return {};
  }
  if (text) {
    if (key.kind == KeyKind::Enter) {
      const bool jump = st.prompt == Prompt::Time;
      st.prompt = Prompt::None;
      return {jump ? EffectKind::Jump : EffectKind::None, {}, 0};
    }
    if (key.kind == KeyKind::F && key.f == 3 && st.prompt == Prompt::Search) {
      search_from(st, ctx, current(st, ctx) + 1);
      return {};
    }
    if (key.kind == KeyKind::Backspace) pop_utf8(st.input);
    else if (key.kind == KeyKind::Char && key.ch >= 0x20 && key.ch != 0x7f) append_utf8(st.input, key.ch);
    else return {};
    if (st.prompt == Prompt::Filter) {
      st.filter = st.input;
    } else if (st.prompt == Prompt::Search) {
      st.search = st.input;
      search_from(st, ctx, current(st, ctx));
    }
    return {};
  }
  // A menu: Signal or SortMenu.
  const int n = st.prompt == Prompt::Signal ? static_cast<int>(signal_menu().size())
                                            : ctx.table ? static_cast<int>(sort_menu(*ctx.table).size()) : 0;
  if (selection_moves(key.kind)) {
    st.menu_index = moved(key.kind, st.menu_index, n, 10);
    return {};
  }
  if (key.kind != KeyKind::Enter || n == 0) return {};
  st.menu_index = std::clamp(st.menu_index, 0, n - 1);
  const Prompt was = st.prompt;
  st.prompt = Prompt::None;
  if (was == Prompt::SortMenu) {
    st.sort = sort_menu(*ctx.table)[size_t(st.menu_index)];
    st.sort_reversed = false;
    return {};
  }
  Effect e{EffectKind::Signal, targets(st), signal_menu()[size_t(st.menu_index)].number};
  if (e.targets.empty()) return {};
  return e;
}

Effect click(TopState& st, const Key& key, const KeyContext& ctx) {
  if (!ctx.geo) return {};
  const Geometry& g = *ctx.geo;
  if (key.y == g.fkey_y) {
    for (size_t i = 0; i < g.fkey_x.size(); ++i)
      if (key.x >= g.fkey_x[i].x0 && key.x < g.fkey_x[i].x1) return apply_key(st, Key::fn(static_cast<int>(i) + 1), ctx);
    return {};
  }
  if (st.pane != Pane::Table) return {};
  if (key.y == g.table_header_y) {
    for (size_t i = 0; i < g.column_x.size() && i < g.column_ids.size(); ++i) {
      if (key.x < g.column_x[i].x0 || key.x >= g.column_x[i].x1) continue;
      const ColumnSpec* c = find_column(g.column_ids[i]);
      if (c && c->sort.key) set_sort(st, c->id);
      return {};
    }
    return {};
  }
  if (ctx.table && key.y >= g.table_first_y && key.y < g.table_first_y + g.table_rows) {
    const int i = st.scroll + key.y - g.table_first_y;
    if (i < static_cast<int>(ctx.table->rows.size())) select_index(st, *ctx.table, i);
  }
  return {};
}

}  // namespace

const std::vector<SignalChoice>& signal_menu() {
  static const std::vector<SignalChoice> menu = [] {
    std::vector<SignalChoice> m;
    for (int s = 1; s <= 31; ++s) m.push_back({s, signal_name(s)});
    return m;
  }();
  return menu;
}

std::vector<std::string> sort_menu(const TableView& v) {
  std::vector<std::string> ids;
  for (const ColumnSpec* c : v.cols)
    if (c->sort.key) ids.push_back(c->id);
  return ids;
}

std::span<const KeyHelp> key_help() { return kKeys; }

Effect apply_key(TopState& st, const Key& key, const KeyContext& ctx) {
  if (key.kind == KeyKind::None) return {};
  st.message.clear();
  if (st.prompt != Prompt::None) return prompt_key(st, key, ctx);
  if (key.kind == KeyKind::Click) return click(st, key, ctx);

  const char32_t c = key.kind == KeyKind::Char ? key.ch : 0;
  const int f = key.kind == KeyKind::F ? key.f : 0;
  if (c == 'q' || f == 10) {
    st.quit = true;
    return {EffectKind::Quit, {}, 0};
  }
  if (st.pane == Pane::Help) {
    if (selection_moves(key.kind)) st.pane_scroll = moved(key.kind, st.pane_scroll, ctx.pane_lines, 10);
    else st.pane = Pane::Table;  // any other key leaves the help, as in htop
    return {};
  }
  if (c == '?' || c == 'h' || f == 1) {
    st.pane = Pane::Help;
    st.pane_scroll = 0;
    return {};
  }
  if (c == 'p') {
    st.paused = !st.paused;
    st.message = st.paused ? "paused: the frame on screen stays (p resumes)" : "";
    return {EffectKind::Pause, {}, st.paused ? 1 : 0};
  }
  if (c == 'a' || f == 2) {
    st.layout = st.layout == Layout::TableFirst ? Layout::GraphFirst : Layout::TableFirst;
    return {};
  }
  if (c == 'e') {
    st.pane = st.pane == Pane::Events ? Pane::Table : Pane::Events;
    st.pane_scroll = 0;
    return {};
  }
  if (c == 'g') {
    if (st.pane == Pane::Gmp) {
      st.pane = Pane::Table;
      return {};
    }
    const auto& gp = ctx.goro_pids;
    if (gp.empty()) {
      st.message = "g: no goro or Go process here (RT column empty)";
      return {};
    }
    st.gmp_pid = std::find(gp.begin(), gp.end(), st.selected.pid) != gp.end() ? st.selected.pid : gp.front();
    st.pane = Pane::Gmp;
    st.pane_scroll = 0;
    return {};
  }
  if (c == 's' && (st.pane == Pane::Table || st.pane == Pane::Stack)) {
    // In the Stack pane, s takes the same stacks again.
    if (st.pane == Pane::Table) {
      if (st.selected.pid <= 0) return {};
      st.stack_of = st.selected;
    }
    st.pane = Pane::Stack;
    st.pane_scroll = 0;
    return {EffectKind::Stack, {st.stack_of}, 0};
  }
  if (st.pane != Pane::Table) {
    if (key.kind == KeyKind::Escape) {
      st.pane = Pane::Table;
      return {};
    }
    if (selection_moves(key.kind)) {
      st.pane_scroll = moved(key.kind, st.pane_scroll, ctx.pane_lines, std::max(1, ctx.page));
      return {};
    }
    if (key.kind == KeyKind::WheelUp || key.kind == KeyKind::WheelDown) {
      st.pane_scroll = std::clamp(st.pane_scroll + (key.kind == KeyKind::WheelUp ? -3 : 3), 0, std::max(0, ctx.pane_lines - 1));
      return {};
    }
    if (st.pane == Pane::Detail && !(c == 'k' || f == 9 || f == 7 || f == 8)) return {};
    if (st.pane != Pane::Detail) return {};
  }

  const TableView* v = ctx.table;
  if (v && selection_moves(key.kind)) {
    select_index(st, *v, moved(key.kind, current(st, ctx), static_cast<int>(v->rows.size()), std::max(1, ctx.page)));
    return {};
  }
  if (v && (key.kind == KeyKind::WheelUp || key.kind == KeyKind::WheelDown)) {
    select_index(st, *v, current(st, ctx) + (key.kind == KeyKind::WheelUp ? -3 : 3));
    return {};
  }
  if (c == 'H') {
    st.mode = st.mode == TableMode::Processes ? TableMode::Threads : TableMode::Processes;
    if (st.mode == TableMode::Processes) st.selected.tid = 0;
    return {EffectKind::Refresh, {}, 0};
  }
  if (c == 't' || f == 5) {
    st.tree = !st.tree;
    return {};
  }
  if (c == '/' || (f == 3 && st.search.empty())) {
    st.prompt = Prompt::Search;
    st.input.clear();
    return {};
  }
  if (f == 3) {
    search_from(st, ctx, current(st, ctx) + 1);
    return {};
  }
  if (c == '\\' || f == 4) {
    st.prompt = Prompt::Filter;
    st.input = st.filter;
    return {};
  }
  if (c == '<' || c == ',') {
    cycle_sort(st, ctx, -1);
    return {};
  }
  if (c == '>' || c == '.') {
    cycle_sort(st, ctx, +1);
    return {};
  }
  if (f == 6) {
    st.prompt = Prompt::SortMenu;
    const auto ids = v ? sort_menu(*v) : std::vector<std::string>{};
    auto it = std::find(ids.begin(), ids.end(), st.sort);
    st.menu_index = it == ids.end() ? 0 : static_cast<int>(it - ids.begin());
    return {};
  }
  if (c == 'I') {
    st.sort_reversed = !st.sort_reversed;
    return {};
  }
  if (c == 'k' || f == 9) {
    if (targets(st).empty()) return {};
    st.prompt = Prompt::Signal;
    const auto& m = signal_menu();
    st.menu_index = static_cast<int>(std::find_if(m.begin(), m.end(), [](const SignalChoice& s) { return s.number == 15; }) - m.begin());
    return {};
  }
  if (f == 7 || f == 8) {
    Effect e{EffectKind::Renice, targets(st), f == 7 ? -1 : 1};
    if (e.targets.empty()) return {};
    return e;
  }
  if (c == ' ') {
    if (st.selected.pid <= 0) return {};
    if (!st.tagged.erase(st.selected)) st.tagged.insert(st.selected);
    if (v) select_index(st, *v, current(st, ctx) + 1);
    return {};
  }
  if (c == 'U') {
    st.tagged.clear();
    return {};
  }
  if (c == 'F') {
    st.follow = !st.follow;
    st.message = st.follow ? "follow: the selected row keeps its line" : "follow off";
    return {};
  }
  if (key.kind == KeyKind::Enter && st.selected.pid > 0) {
    st.pane = Pane::Detail;
    st.detail_pid = st.selected.pid;
    st.pane_scroll = 0;
    return {EffectKind::Refresh, {}, 0};
  }
  if (key.kind == KeyKind::Escape) {
    st.filter.clear();
    return {};
  }
  return {};
}

}  // namespace ts::view
