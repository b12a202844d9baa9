// compose_test.cpp: the whole screen without a terminal: any size down to 20x5 fits, names from
// other processes never reach the terminal raw, a non-UTF-8 screen gets ASCII only, the graphs.
#include <catch2/catch.hpp>

#include "../support/support.h"
#include "frames.h"
#include "view/compose.h"
#include "view/events_pane.h"

using namespace ts;
using namespace ts::view;
using ts::test::FrameBuilder;
using ts::test::proc;
using ts::test::task;

namespace {

FrameBuilder hostile() {
  FrameBuilder b;
  Process p = proc(20, 1, "evil", {task(20, 20, "evil"), task(21, 20, "\x1b]0;pwned\x07"), task(22, 20, "bad\xff\xfe")});
  p.cmdline = "/bin/evil \x1b[2J" + std::string(10000, 'x');  // 10k-char command line
  b.add(p).add(proc(30, 1, "caf\xc3\xa9"));
  b.f.machine_rates.cpu_ids = {0, 1};
  b.f.machine_rates.cpus = {CpuShare{20, 0, 10}, CpuShare{90, 0, 5}};
  b.f.machine.mem_total = 8ull << 30;
  b.f.machine.mem_free = 2ull << 30;
  return b;
}

std::string all(const Screen& s) {
  std::string t;
  for (const Line& l : s.lines) t += l.text() + "\n";
  return t;
}

Screen shown(const Frame& f, TopState& st, int w, int h, bool utf8, const TopInputs& in = {}) {
  TableView v;
  int lines = 0;
  return compose(f, st, in, ScreenOptions{w, h, utf8}, v, lines);
}

}  // namespace

TEST_CASE("every size down to 20x5 and 1x1 gives exactly its lines, none wider", "[top][screen]") {
  FrameBuilder b = hostile();
  TopHistory hist;
  hist.push(b.f, 20);
  TopInputs in;
  in.history = &hist;
  for (auto [w, h] : std::vector<std::pair<int, int>>{{120, 40}, {80, 24}, {20, 5}, {10, 3}, {1, 1}}) {
    for (Pane pane : {Pane::Table, Pane::Detail, Pane::Events, Pane::Gmp, Pane::Help}) {
      for (Layout layout : {Layout::TableFirst, Layout::GraphFirst}) {
        TopState st;
        st.mode = TableMode::Threads;
        st.pane = pane;
        st.layout = layout;
        st.detail_pid = 20;
        st.gmp_pid = 20;
        const Screen s = shown(b.f, st, w, h, true, in);
        INFO(w << "x" << h << " pane " << static_cast<int>(pane) << " layout " << static_cast<int>(layout));
        REQUIRE(s.lines.size() == static_cast<size_t>(h));
        for (const Line& l : s.lines) CHECK(l.width() <= w);
      }
    }
  }
  // 20x5 still shows the table's titles and a row, and the function keys.
  TopState st;
  const Screen s = shown(b.f, st, 20, 5, true);
  CHECK(s.geo.table_header_y >= 0);
  CHECK(s.geo.table_first_y >= 0);
  CHECK(s.lines[4].text().rfind("F1", 0) == 0);
}

TEST_CASE("names and command lines never reach the terminal raw; not UTF-8: ASCII only", "[top][screen]") {
  FrameBuilder b = hostile();
  for (bool utf8 : {true, false}) {
    for (Pane pane : {Pane::Table, Pane::Detail}) {
      TopState st;
      st.mode = TableMode::Threads;
      st.pane = pane;
      st.detail_pid = 20;
      const std::string text = all(shown(b.f, st, 200, 40, utf8));
      INFO(text);
      CHECK(ts::test::raw_control(text) == -1);
      CHECK(text.find("\\x1b]0;pwned\\x07") != std::string::npos);
      CHECK(text.find("bad\\xff\\xfe") != std::string::npos);
      if (!utf8)
        for (unsigned char c : text) REQUIRE(c < 0x80);
    }
  }
  TopState st;
  st.mode = TableMode::Threads;
  CHECK(all(shown(b.f, st, 200, 40, false)).find("caf\\xc3\\xa9") != std::string::npos);
  CHECK(all(shown(b.f, st, 200, 40, true)).find("caf\xc3\xa9") != std::string::npos);
}

TEST_CASE("the header has a meter per CPU, memory and swap, tasks, load and uptime", "[top][screen]") {
  FrameBuilder b = hostile();
  b.f.machine.uptime_s = 90061;
  b.f.machine.load1 = 1.5;
  TopState st;
  const Screen s = shown(b.f, st, 120, 30, true);
  const std::string t = all(s);
  INFO(t);
  CHECK(s.lines[0].text().find("  0[") == 0);
  CHECK(s.lines[0].text().find("30.0%]") != std::string::npos);
  CHECK(s.lines[1].text().find("95.0%]") != std::string::npos);
  CHECK(t.find("Mem[") != std::string::npos);
  CHECK(t.find("Swp[") != std::string::npos);
  CHECK(t.find("Tasks: 2, 4 thr, 0 kthr") != std::string::npos);
  CHECK(t.find("Load average: 1.50") != std::string::npos);
  CHECK(t.find("Uptime: 1 day, 01:01:01") != std::string::npos);
  CHECK(t.find("source: proc") != std::string::npos);
}

TEST_CASE("the graph-first layout charts CPU per core from the history, and it rises with the load", "[top][screen]") {
  FrameBuilder b = hostile();
  TopHistory hist;
  auto braille_dots = [](const std::string& s) {
    size_t n = 0;  // code points U+2801..U+28FF: E2 A0 81 .. E2 A3 BF
    for (size_t i = 0; i + 2 < s.size(); ++i)
      if (static_cast<unsigned char>(s[i]) == 0xE2 && (static_cast<unsigned char>(s[i + 1]) & 0xFC) == 0xA0 &&
          !(static_cast<unsigned char>(s[i + 1]) == 0xA0 && static_cast<unsigned char>(s[i + 2]) == 0x80))
        ++n;
    return n;
  };
  TopState st;
  st.layout = Layout::GraphFirst;
  TopInputs in;
  in.history = &hist;
  b.f.machine_rates.cpus = {CpuShare{1, 0, 0}, CpuShare{1, 0, 0}};
  for (uint64_t i = 1; i <= 10; ++i) {
    b.f.seq = i;
    hist.push(b.f, 20);
  }
  const size_t idle = braille_dots(all(shown(b.f, st, 100, 30, true, in)));
  b.f.machine_rates.cpus = {CpuShare{100, 0, 0}, CpuShare{1, 0, 0}};
  for (uint64_t i = 11; i <= 20; ++i) {
    b.f.seq = i;
    hist.push(b.f, 20);
  }
  const Screen busy = shown(b.f, st, 100, 30, true, in);
  INFO(all(busy));
  CHECK(all(busy).find("CPU0 100.0%") != std::string::npos);
  CHECK(braille_dots(all(busy)) > idle + 30);
}

TEST_CASE("an M's LWP row shows the goro label it is given, in its own colour", "[top][screen]") {
  FrameBuilder b = hostile();
  const GoroLabels labels{{21, "M3 \u2192 G1234 worker()"}};
  TopState st;
  st.mode = TableMode::Threads;
  TopInputs in;
  in.labels = &labels;
  const Screen s = shown(b.f, st, 200, 40, true, in);
  bool found = false;
  for (const Line& l : s.lines)
    for (const Span& sp : l.spans)
      if (sp.text.find("M3 \u2192 G1234 worker()") != std::string::npos) found = sp.style == Style::Goro;
  CHECK(found);
}

TEST_CASE("The events pane says the tracer is starting until it runs, then counts what it saw", "[top][screen]") {
  EventLog log;
  Frame starting;
  starting.seq = 1;
  starting.events_starting = true;
  log.add(starting);
  const std::string title = events_pane_lines(log, 0, true).front().text();
  CHECK(title.find("starting the clone/exec/exit tracer") != std::string::npos);
  CHECK(title.find("seen,") == std::string::npos);  // screen tests wait for "seen," to know events flow
  CHECK(title.find("off:") == std::string::npos);

  Frame on;
  on.seq = 2;
  on.events_on = true;
  CloneEvent c;
  c.parent_pid = c.parent_tid = 40;
  c.parent_comm = "zoo";
  c.child_pid = 40;
  c.child_tid = 41;
  c.flags = 0x10f00;  // CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD
  on.events.push_back(c);
  log.add(on);
  const auto lines = events_pane_lines(log, 0, true);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].text().find("1 seen, 1 kept") != std::string::npos);
  CHECK(lines[1].text().find("40 (zoo) -> 40/41  thread") != std::string::npos);

  Frame off;
  off.seq = 3;
  EventLog none;
  none.add(off);
  CHECK(events_pane_lines(none, 0, true).front().text().find("off:") != std::string::npos);
}

TEST_CASE("an 80-column screen leaves the least useful columns out so COMMAND shows, and they are not read",
          "[top][screen]") {
  FrameBuilder b;
  Process p = proc(4242, 1, "server", {task(4242, 4242, "server")});
  p.cmdline = "/usr/sbin/server -l 80";  // 22 cells: fits the 24 COMMAND keeps
  b.add(p);
  b.f.snap.source = "bpf";
  b.f.snap.fields = kAllFields;
  TopState st;
  const Screen narrow = shown(b.f, st, 80, 24, true);
  const std::string t = all(narrow);
  INFO(t);
  CHECK(t.find(" /usr/sbin/server -l 80\n") != std::string::npos);
  const std::vector<std::string> ids = narrow.geo.column_ids;
  CHECK(ids == std::vector<std::string>{"pid", "user", "res", "state", "pcpu", "nvcsw_ps", "nivcsw_ps", "delay", "command"});
  const std::vector<std::string_view> v(ids.begin(), ids.end());
  CHECK_FALSE(has(top_fields(v, st), Field::Sched));  // PRI and NI are not shown: not read
  CHECK(has(top_fields(v, st), Field::Delay));

  const Screen wide = shown(b.f, st, 200, 24, true);
  CHECK(wide.geo.column_ids.size() == top_column_ids(st.mode, true).size());  // all of them
  CHECK(has(top_fields(std::vector<std::string_view>(wide.geo.column_ids.begin(), wide.geo.column_ids.end()), st),
            Field::Sched));
}

TEST_CASE("the rows are chosen and sorted once per frame: a key that only moves the selection reuses them",
          "[top][screen]") {
  FrameBuilder b;
  for (int32_t pid = 10; pid < 20; ++pid) b.add(proc(pid, 1, "p" + std::to_string(pid), {task(pid, pid, "p")}));
  TopState st;
  TableView table;
  int pane_lines = 0;
  const TopInputs in;
  compose(b.f, st, in, {120, 30, true}, table, pane_lines);
  const DisplayRow* rows = table.rows.data();
  REQUIRE(table.rows.size() == 10);
  st.selected = table.rows[3].id;  // Down, Down, Down
  compose(b.f, st, in, {120, 30, true}, table, pane_lines);
  CHECK(table.rows.data() == rows);  // the same rows, not built again
  CHECK(table.selected == 3);
  st.sort = "pid";  // the order changed: built again
  compose(b.f, st, in, {120, 30, true}, table, pane_lines);
  CHECK(table.rows.data() != rows);
  CHECK(table.rows.front().id.pid == 10);
  rows = table.rows.data();
  FrameBuilder next(3);  // a new frame: built again
  for (int32_t pid = 10; pid < 12; ++pid) next.add(proc(pid, 1, "p", {task(pid, pid, "p")}));
  compose(next.f, st, in, {120, 30, true}, table, pane_lines);
  CHECK(table.rows.size() == 2);
}
