// keys_test.cpp: htop's keys as transitions of TopState, and the effects they ask for.
#include <catch2/catch.hpp>

#include "frames.h"
#include "view/compose.h"
#include "view/keys.h"

using namespace ts;
using namespace ts::view;
using ts::test::FrameBuilder;
using ts::test::proc;
using ts::test::task;

namespace {

// Shown is a frame composed at 140x30, and the context keys get from it.
struct Shown {
  FrameBuilder b;
  TopState st;
  TableView table;
  Screen screen;
  int pane_lines = 0;

  Shown() {
    b.add(proc(10, 1, "sshd"))
        .add(proc(20, 1, "server", {task(20, 20, "server"), task(21, 20, "worker-0"), task(22, 20, "worker-1")}))
        .add(proc(30, 20, "helper"));
    b.rate(10, 10, 5).rate(20, 20, 10).rate(20, 21, 25).rate(20, 22, 5).rate(30, 30, 1);
    draw();
  }
  void draw() { screen = compose(b.f, st, TopInputs{}, ScreenOptions{140, 30, true}, table, pane_lines); }
  Effect press(const Key& k) {
    const Effect e = apply_key(st, k, KeyContext{&table, &screen.geo, screen.geo.table_rows, pane_lines, {}});
    draw();
    return e;
  }
  std::string text() const {
    std::string t;
    for (const Line& l : screen.lines) t += l.text() + "\n";
    return t;
  }
};

}  // namespace

TEST_CASE("arrows, paging and Home/End move the selection over the rows shown", "[top][keys]") {
  Shown s;
  CHECK(s.st.selected == RowId{20, 0});
  s.press(Key::of(KeyKind::Down));
  CHECK(s.st.selected == RowId{10, 0});
  s.press(Key::of(KeyKind::End));
  CHECK(s.st.selected == RowId{30, 0});
  s.press(Key::of(KeyKind::Down));  // stays on the last row
  CHECK(s.st.selected == RowId{30, 0});
  s.press(Key::of(KeyKind::PageUp));
  CHECK(s.st.selected == RowId{20, 0});
}

TEST_CASE("H shows the LWPs, t the tree, < > and F6 change the sort, I inverts it", "[top][keys]") {
  Shown s;
  CHECK(s.press(Key::chr('H')).kind == EffectKind::Refresh);
  CHECK(s.table.rows.size() == 6);
  CHECK(s.text().find("worker-0") != std::string::npos);
  CHECK(s.text().find("TID") != std::string::npos);
  s.press(Key::chr('H'));
  CHECK(s.table.rows.size() == 3);
  s.press(Key::chr('t'));
  CHECK(s.st.tree);
  CHECK(s.table.rows[1].id == RowId{30, 0});  // the child under its parent
  s.press(Key::chr('t'));
  s.press(Key::chr('>'));
  CHECK(s.st.sort == "pmem");
  s.press(Key::chr('<'));
  s.press(Key::chr('<'));
  CHECK(s.st.sort == "state");
  s.press(Key::fn(6));
  CHECK(s.st.prompt == Prompt::SortMenu);
  s.press(Key::of(KeyKind::Home));
  s.press(Key::of(KeyKind::Enter));
  CHECK(s.st.sort == "pid");
  CHECK(s.table.rows.front().id == RowId{10, 0});
  s.press(Key::chr('I'));
  CHECK(s.table.rows.front().id == RowId{30, 0});
}

TEST_CASE("/ searches as you type and F3 finds the next; \\ filters, Esc clears it", "[top][keys]") {
  Shown s;
  s.press(Key::chr('H'));
  s.press(Key::chr('/'));
  CHECK(s.st.prompt == Prompt::Search);
  for (char c : std::string("work")) s.press(Key::chr(static_cast<char32_t>(c)));
  CHECK(s.st.selected == RowId{20, 21});
  CHECK(s.text().find("Search: work") != std::string::npos);
  s.press(Key::fn(3));
  CHECK(s.st.selected == RowId{20, 22});
  s.press(Key::of(KeyKind::Enter));
  CHECK(s.st.prompt == Prompt::None);
  s.press(Key::chr('\\'));
  for (char c : std::string("helper")) s.press(Key::chr(static_cast<char32_t>(c)));
  CHECK(s.table.rows.size() == 1);
  s.press(Key::of(KeyKind::Backspace));
  CHECK(s.st.filter == "helpe");
  s.press(Key::of(KeyKind::Escape));
  CHECK(s.st.filter.empty());
  CHECK(s.table.rows.size() == 6);
}

TEST_CASE("k opens the signal menu on SIGTERM; Enter sends it to the tagged rows or the selected one", "[top][keys]") {
  Shown s;
  CHECK(s.press(Key::chr('k')).kind == EffectKind::None);
  CHECK(s.st.prompt == Prompt::Signal);
  CHECK(signal_menu()[size_t(s.st.menu_index)].number == 15);
  CHECK(s.text().find("15 SIGTERM") != std::string::npos);
  Effect e = s.press(Key::of(KeyKind::Enter));
  CHECK(e.kind == EffectKind::Signal);
  CHECK(e.value == 15);
  CHECK(e.targets == std::vector<RowId>{{20, 0}});
  // Tag two rows with space (it moves down), then F9 and SIGKILL.
  s.press(Key::chr(' '));
  s.press(Key::chr(' '));
  CHECK(s.st.tagged == std::set<RowId>{{20, 0}, {10, 0}});
  s.press(Key::fn(9));
  s.press(Key::of(KeyKind::Up));
  s.press(Key::of(KeyKind::Up));
  s.press(Key::of(KeyKind::Up));
  s.press(Key::of(KeyKind::Up));
  s.press(Key::of(KeyKind::Up));
  s.press(Key::of(KeyKind::Up));
  e = s.press(Key::of(KeyKind::Enter));
  CHECK(e.value == 9);
  CHECK(e.targets == std::vector<RowId>{{10, 0}, {20, 0}});
  s.press(Key::chr('U'));
  CHECK(s.st.tagged.empty());
  s.press(Key::chr('k'));
  CHECK(s.press(Key::of(KeyKind::Escape)).kind == EffectKind::None);
  CHECK(s.st.prompt == Prompt::None);
}

TEST_CASE("F7 and F8 ask to renice; p pauses; q and F10 quit", "[top][keys]") {
  Shown s;
  Effect e = s.press(Key::fn(7));
  CHECK(e.kind == EffectKind::Renice);
  CHECK(e.value == -1);
  CHECK(s.press(Key::fn(8)).value == 1);
  e = s.press(Key::chr('p'));
  CHECK(e.kind == EffectKind::Pause);
  CHECK(e.value == 1);
  CHECK(s.st.paused);
  CHECK(s.press(Key::chr('p')).value == 0);
  CHECK(s.press(Key::fn(10)).kind == EffectKind::Quit);
  Shown t;
  CHECK(t.press(Key::chr('q')).kind == EffectKind::Quit);
  CHECK(t.st.quit);
}

TEST_CASE("a click on a column title sorts by it (again: inverts); on a row selects it; on the bar presses the key",
          "[top][keys]") {
  Shown s;
  const Geometry& g = s.screen.geo;
  REQUIRE(g.table_header_y > 0);
  size_t pid_col = 0;
  while (g.column_ids[pid_col] != "pid") ++pid_col;
  s.press(Key::click(g.column_x[pid_col].x0, g.table_header_y));
  CHECK(s.st.sort == "pid");
  CHECK_FALSE(s.st.sort_reversed);
  s.press(Key::click(s.screen.geo.column_x[pid_col].x0, s.screen.geo.table_header_y));
  CHECK(s.st.sort_reversed);
  s.press(Key::click(3, s.screen.geo.table_first_y + 1));
  CHECK(s.st.selected == s.table.rows[1].id);
  s.press(Key::click(s.screen.geo.fkey_x[0].x0, s.screen.geo.fkey_y));  // F1: help
  CHECK(s.st.pane == Pane::Help);
}

TEST_CASE("Enter opens the detail of the selected process, e the events, ? the help, Esc goes back", "[top][keys]") {
  Shown s;
  s.press(Key::of(KeyKind::Enter));
  CHECK(s.st.pane == Pane::Detail);
  CHECK(s.st.detail_pid == 20);
  CHECK(s.text().find("pid 20 (server)") != std::string::npos);
  CHECK(s.text().find("worker-1") != std::string::npos);
  s.press(Key::of(KeyKind::Escape));
  CHECK(s.st.pane == Pane::Table);
  s.press(Key::chr('e'));
  CHECK(s.st.pane == Pane::Events);
  CHECK(s.text().find("needs BPF") != std::string::npos);  // no events in this frame: it says why
  s.press(Key::of(KeyKind::Escape));
  s.press(Key::chr('?'));
  for (const KeyHelp& k : key_help()) CHECK(s.text().find(k.what) != std::string::npos);
  s.press(Key::chr('x'));
  CHECK(s.st.pane == Pane::Table);
  s.press(Key::chr('g'));
  CHECK(s.st.pane == Pane::Table);  // no goro process
  CHECK(s.text().find("no goro or Go process") != std::string::npos);
}

TEST_CASE("s asks for the selected process's stacks (or the selected thread's) and opens their pane; Esc returns",
          "[top][keys][stack]") {
  Shown s;
  Effect e = s.press(Key::chr('s'));
  CHECK(e.kind == EffectKind::Stack);
  CHECK(e.targets == std::vector<RowId>{{20, 0}});  // the first row: the busiest process, every thread
  CHECK(s.st.pane == Pane::Stack);
  CHECK(s.text().find("Stacks of pid 20") != std::string::npos);  // "capturing" until the dump comes
  s.press(Key::of(KeyKind::Down));                                 // scrolls the pane, not the table
  CHECK(s.st.selected == RowId{20, 0});
  e = s.press(Key::chr('s'));  // again, in the pane: the same target
  CHECK(e.kind == EffectKind::Stack);
  CHECK(e.targets == std::vector<RowId>{{20, 0}});
  s.press(Key::of(KeyKind::Escape));
  CHECK(s.st.pane == Pane::Table);
  s.press(Key::chr('H'));
  s.press(Key::of(KeyKind::Down));  // the first LWP under process 20
  e = s.press(Key::chr('s'));
  REQUIRE(e.kind == EffectKind::Stack);
  CHECK(e.targets.front().pid == 20);
  CHECK(e.targets.front().tid != 0);
  CHECK(s.st.stack_of == e.targets.front());
}
