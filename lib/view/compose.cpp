// compose.cpp: laying out the screen: header or graphs, table or pane, prompt, function keys.
#include "view/compose.h"

#include <algorithm>
#include <cstdio>

#include "view/gmp_pane.h"
#include "view/header.h"
#include "view/keys.h"

namespace ts::view {

namespace {

// kWidth is each column's minimum width, so columns stay put as values change.
int min_width(std::string_view id) {
  static const std::pair<std::string_view, int> w[] = {
      {"pid", 5},      {"tid", 5},     {"user", 8},      {"pri", 3},       {"ni", 3},      {"virt", 5},
      {"res", 5},      {"state", 1},   {"pcpu", 5},      {"pmem", 5},      {"timeplus", 9}, {"nlwp", 4},
      {"nvcsw_ps", 7}, {"nivcsw_ps", 8}, {"delay", 6}, {"rt", 6}};
  for (const auto& [k, v] : w)
    if (k == id) return v;
  return 1;
}

// kMinCommand is the room COMMAND keeps: on a narrower screen the columns of kDropOrder go first,
// in that order (htop's 80 columns then show PID USER RES S CPU% NVCSW/s NIVCSW/s DELAY COMMAND).
constexpr int kMinCommand = 24;
constexpr std::string_view kDropOrder[] = {"pri", "virt", "nlwp", "ni", "pmem", "timeplus", "rt", "user", "delay", "nivcsw_ps", "res"};

struct FKey {
  int n;
  const char* label;
};
constexpr FKey kFKeys[] = {{1, "Help"},   {2, "Layout"}, {3, "Search"}, {4, "Filter"}, {5, "Tree"},
                           {6, "SortBy"}, {7, "Nice -"}, {8, "Nice +"}, {9, "Kill"},   {10, "Quit"}};

Line fkey_line(int width, Geometry& geo, int y) {
  Line l;
  geo.fkey_y = y;
  geo.fkey_x.clear();
  int x = 0;
  for (const FKey& k : kFKeys) {
    const std::string key = "F" + std::to_string(k.n);
    char label[16];
    std::snprintf(label, sizeof label, "%-6s", k.label);
    const int w = cell_width(key) + cell_width(label);
    geo.fkey_x.push_back(XRange{x, std::min(x + w, width)});
    l.add(key, Style::FKey).add(label, Style::FKeyLabel);
    x += w;
  }
  l.fill = Style::FKeyLabel;
  clip(l, width);
  return l;
}

Line prompt_line(const TopState& st, int width, bool utf8) {
  Line l;
  const bool search = st.prompt == Prompt::Search, time = st.prompt == Prompt::Time;
  l.add(search ? "Search: " : time ? "Go to time: " : "Filter: ", Style::FKey).add(safe_text(st.input, utf8), Style::Prompt);
  l.add(search ? "   Enter: done  F3: next  Esc: cancel"
        : time ? "   e.g. 03:12, -5m, +90s, 2026-01-02 03:04:05, @UNIX, start, end (UTC)  Enter: go  Esc: cancel"
               : "   Enter: done  Esc: clear",
        Style::Dim);
  l.fill = Style::Prompt;
  clip(l, width);
  return l;
}

std::vector<Line> menu_block(const TopState& st, const TableView& v, int height) {
  std::vector<Line> out;
  std::vector<std::string> items;
  std::string title;
  if (st.prompt == Prompt::Signal) {
    title = "Send signal:";
    for (const SignalChoice& s : signal_menu()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%2d %s", s.number, s.name.c_str());
      items.push_back(buf);
    }
  } else {
    title = "Sort by:";
    for (const std::string& id : sort_menu(v)) items.push_back(column(id).title);
  }
  out.push_back(Line{{Span{title, Style::Header}}, Style::Header});
  const int rows = std::max(1, height - 1);
  const int n = static_cast<int>(items.size());
  const int first = std::clamp(st.menu_index - rows / 2, 0, std::max(0, n - rows));
  for (int i = first; i < n && i < first + rows; ++i) {
    Line l;
    l.add(items[size_t(i)], i == st.menu_index ? Style::Selected : Style::Normal);
    if (i == st.menu_index) l.fill = Style::Selected;
    out.push_back(std::move(l));
  }
  return out;
}

std::string tree_prefix(const DisplayRow& r, bool utf8) {
  std::string s;
  for (size_t i = 0; i < r.last.size(); ++i) {
    const bool is_self = i + 1 == r.last.size();
    if (is_self) s += r.last[i] ? (utf8 ? "\u2514\u2500 " : "`- ") : (utf8 ? "\u251c\u2500 " : "|- ");
    else s += r.last[i] ? "   " : (utf8 ? "\u2502  " : "|  ");
  }
  return s;
}

// row_line() is one table row.
Line row_line(const DisplayRow& d, const TableView& v, const std::vector<size_t>& shown, const std::vector<int>& widths,
              bool selected, int width, bool utf8) {
  Line l;
  const Style base = selected ? Style::Selected : d.tagged ? Style::Tagged : d.row.dying ? Style::Dying : Style::Normal;
  for (size_t c : shown) {
    const ColumnSpec* col = v.cols[c];
    if (c != shown.front()) l.add(" ", base);
    if (std::string_view(col->id) == "command") {
      l.add(tree_prefix(d, utf8), selected ? base : Style::Dim);
      const std::string name = d.row.whole_process ? col->text(d.row, v.env) : d.row.task->comm;
      l.add(safe_text(name, utf8), selected || d.tagged || d.row.dying ? base : d.thread ? Style::Thread : Style::Normal);
      if (!d.row.whole_process && d.row.label) l.add("  " + safe_text(*d.row.label, utf8), selected ? base : Style::Goro);
      if (d.row.dying) l.add(" (ended)", base == Style::Normal ? Style::Dying : base);
      continue;
    }
    l.add(fit(safe_text(col->text(d.row, v.env), utf8), widths[c], col->align == Align::Right), base);
  }
  l.fill = base;
  clip(l, width);
  return l;
}

}  // namespace

std::vector<Line> table_lines(const TableView& v, const TopState& st, size_t first, size_t count, int width, bool utf8,
                              Geometry* geo) {
  std::vector<Line> out;
  const size_t end = std::min(v.rows.size(), first + count);
  std::vector<int> widths(v.cols.size());
  for (size_t c = 0; c < v.cols.size(); ++c) {
    int w = std::max(cell_width(v.cols[c]->title), min_width(v.cols[c]->id));
    if (std::string_view(v.cols[c]->id) != "command")
      for (size_t i = first; i < end; ++i) w = std::max(w, cell_width(safe_text(v.cols[c]->text(v.rows[i].row, v.env), utf8)));
    widths[c] = w;
  }
  // The columns that fit beside kMinCommand cells of COMMAND, judged by their minimum widths
  // only: what is shown decides what is read, so it must not depend on the values read.
  std::vector<size_t> shown;
  int used = 0;
  auto least = [&](size_t c) { return std::max(cell_width(v.cols[c]->title), min_width(v.cols[c]->id)) + 1; };
  for (size_t c = 0; c < v.cols.size(); ++c) {
    shown.push_back(c);
    if (std::string_view(v.cols[c]->id) != "command") used += least(c);
  }
  for (std::string_view id : kDropOrder) {
    if (used + kMinCommand <= width) break;
    for (size_t k = 0; k < shown.size(); ++k)
      if (v.cols[shown[k]]->id == id) {
        used -= least(shown[k]);
        shown.erase(shown.begin() + static_cast<long>(k));
        break;
      }
  }
  Line h;
  int x = 0;
  if (geo) {
    geo->column_ids.clear();
    geo->column_x.clear();
  }
  for (size_t c : shown) {
    const ColumnSpec* col = v.cols[c];
    if (c != shown.front()) h.add(" ", Style::Header), ++x;
    const bool last = c == shown.back();
    const bool sorted = st.sort == col->id;
    std::string title = col->title;
    if (sorted) title += st.sort_reversed ? (utf8 ? "\u25b2" : "^") : (utf8 ? "\u25bc" : "v");
    const int w = last ? cell_width(title) : std::max(widths[c], cell_width(title));
    widths[c] = w;
    h.add(last ? title : fit(title, w, col->align == Align::Right), sorted ? Style::HeaderSorted : Style::Header);
    if (geo) {
      geo->column_ids.push_back(col->id);
      geo->column_x.push_back(XRange{x, last ? std::max(x + w, width) : x + w});
    }
    x += w;
  }
  h.fill = Style::Header;
  clip(h, width);
  out.push_back(std::move(h));
  for (size_t i = first; i < end; ++i)
    out.push_back(row_line(v.rows[i], v, shown, widths, static_cast<int>(i) == v.selected, width, utf8));
  return out;
}

std::vector<Line> help_lines() {
  std::vector<Line> out;
  out.push_back(Line{{Span{"taskscope top: keys (any other key returns)", Style::Title}}, Style::Normal});
  for (const KeyHelp& k : key_help()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "  %-28s ", k.keys);
    out.push_back(Line{{Span{buf, Style::FKey}, Span{k.what}}, Style::Normal});
  }
  out.push_back(Line{});
  out.push_back(Line{{Span{"Columns (rates are per second since the previous frame; a process row sums its threads)", Style::Title}},
                     Style::Normal});
  static const char* const kCols[] = {
      "  CPU%      CPU time used, percent of one CPU (200 = two CPUs)",
      "  NVCSW/s   voluntary context switches per second (the task blocked)",
      "  NIVCSW/s  involuntary context switches per second (the task was preempted)",
      "  DELAY     ms per second spent waiting on a run queue (schedstats)",
      "  RT        the process's runtime: goro, or the Go version (go1.19) of a Go program",
      "  TIME+     CPU time used, minutes:seconds.hundredths",
      "  NLWP      threads (LWPs) in the process",
      "  COMMAND   a process's command line; an LWP's own name, and for a goro M the G it runs"};
  for (const char* c : kCols) out.push_back(Line{{Span{c}}, Style::Normal});
  out.push_back(Line{});
  out.push_back(Line{{Span{"Colours: selected row reversed, tagged yellow, ended (dying) rows red for one refresh; "
                           "LWP names cyan, goro M/G labels magenta.", Style::Dim}},
                     Style::Normal});
  return out;
}

Screen compose(const Frame& f, TopState& st, const TopInputs& in, const ScreenOptions& opt, TableView& table,
               int& pane_lines) {
  Screen s;
  s.opt = opt;
  const int W = std::max(opt.width, 1), H = std::max(opt.height, 1);
  const bool utf8 = opt.utf8;
  const bool fkeys = H >= 3;
  const int bottom = fkeys ? H - 1 : H;  // lines [0, bottom) for everything else
  const bool status = !st.message.empty() && bottom >= 3;
  const int body_end = status ? bottom - 1 : bottom;

  // The top: htop's meters, or gotop's graphs.
  std::vector<Line> top;
  if (st.layout == Layout::GraphFirst && in.history) top = graph_lines(f, *in.history, W, std::max(2, (body_end * 11) / 20), utf8);
  else top = header_lines(f, in.source, W, utf8);
  const int min_body = std::min(body_end, 3);  // keep at least the titles and two rows
  if (static_cast<int>(top.size()) > body_end - min_body) top.resize(static_cast<size_t>(std::max(0, body_end - min_body)));
  for (Line& l : top) s.lines.push_back(std::move(l));
  const int body_y = static_cast<int>(s.lines.size());
  const int body_h = body_end - body_y;

  static const GoroLabels kNoLabels;  // (a conditional with a temporary would copy: rows point into it)
  // Rows are chosen and sorted once per frame or change of the table's settings: a key that only
  // moves the selection or scrolls redraws from the same rows.
  const GoroLabels& labels = in.labels ? *in.labels : kNoLabels;
  if (!(table.built_from == table_key(f, st, labels))) table = build_table(f, st, labels);
  std::vector<Line> body;
  pane_lines = 0;
  const bool menu = st.prompt == Prompt::Signal || st.prompt == Prompt::SortMenu;
  const int menu_w = menu ? std::min(20, W / 2) : 0;
  if (st.pane == Pane::Table) {
    const int page = std::max(1, body_h - 1);
    settle_selection(st, table, page);
    Geometry g;
    body = table_lines(table, st, static_cast<size_t>(std::max(0, st.scroll)), static_cast<size_t>(page), W - menu_w, utf8, &g);
    s.geo.column_ids = g.column_ids;
    s.geo.column_x = g.column_x;
    for (XRange& x : s.geo.column_x) x.x0 += menu_w, x.x1 += menu_w;
    if (body_h >= 1) s.geo.table_header_y = body_y;
    if (body_h >= 2) s.geo.table_first_y = body_y + 1;
    s.geo.table_rows = std::max(0, body_h - 1);
  } else {
    settle_selection(st, table, std::max(1, body_h - 1));
    std::vector<Line> pane;
    if (st.pane == Pane::Help) {
      pane = help_lines();
    } else if (st.pane == Pane::Events) {
      static const EventLog kNone;
      pane = events_pane_lines(in.events ? *in.events : kNone, in.wall_offset_ns, utf8, st.filter);
    } else if (st.pane == Pane::Stack) {
      StackView asked;  // nothing taken yet: the pane names what it waits for
      asked.target = st.stack_of;
      asked.capturing = true;
      pane = stack_pane_lines(in.stack ? *in.stack : asked, utf8);
    } else if (st.pane == Pane::Gmp) {
      pane = gmp_pane_lines(f, st.gmp_pid, in.gmp_prev, in.symbolize, utf8);
    } else {
      DetailInput d{st.detail_pid, in.history, in.detail, in.events, in.labels, in.wall_offset_ns};
      pane = detail_pane_lines(f, d, W, utf8);
    }
    pane_lines = static_cast<int>(pane.size());
    st.pane_scroll = std::clamp(st.pane_scroll, 0, std::max(0, pane_lines - 1));
    for (int i = st.pane_scroll; i < pane_lines && static_cast<int>(body.size()) < body_h; ++i) body.push_back(std::move(pane[size_t(i)]));
    s.geo.pane_rows = body_h;
  }
  if (menu) body = beside({menu_block(st, table, body_h), body}, {menu_w, W - menu_w});
  for (int i = 0; i < body_h && i < static_cast<int>(body.size()); ++i) s.lines.push_back(std::move(body[size_t(i)]));
  while (static_cast<int>(s.lines.size()) < body_end) s.lines.push_back(Line{});
  if (status) s.lines.push_back(Line{{Span{safe_text(st.message, utf8), Style::Warning}}, Style::Normal});
  if (fkeys) {
    if (st.prompt == Prompt::Search || st.prompt == Prompt::Filter || st.prompt == Prompt::Time) s.lines.push_back(prompt_line(st, W, utf8));
    else s.lines.push_back(fkey_line(W, s.geo, H - 1));
  }
  s.lines.resize(static_cast<size_t>(H));
  for (Line& l : s.lines) clip(l, W);
  return s;
}

}  // namespace ts::view
