// top_model_test.cpp: the table of `taskscope top` from hand-built Frames: sorting, filtering,
// tree, thread mode, dying rows, and a selection that stays on its pid/tid.
#include <catch2/catch.hpp>

#include <algorithm>

#include "frames.h"
#include "view/top_model.h"

using namespace ts;
using namespace ts::view;
using ts::test::FrameBuilder;
using ts::test::proc;
using ts::test::task;

namespace {

std::vector<RowId> ids(const TableView& v) {
  std::vector<RowId> out;
  for (const DisplayRow& r : v.rows) out.push_back(r.id);
  return out;
}

// three() is: 10 (one thread, 5% CPU), 20 (three threads "worker-*", 40% in all), 30 (child of 20, 1%).
FrameBuilder three() {
  FrameBuilder b;
  b.add(proc(10, 1, "sshd"))
      .add(proc(20, 1, "server", {task(20, 20, "server"), task(21, 20, "worker-0"), task(22, 20, "worker-1")}))
      .add(proc(30, 20, "helper"));
  b.rate(10, 10, 5).rate(20, 20, 10, 3, 1).rate(20, 21, 25, 100, 7).rate(20, 22, 5, 2, 0).rate(30, 30, 1);
  return b;
}

}  // namespace

TEST_CASE("top sorts by CPU% first, by any column it is told, and the other way round", "[top]") {
  FrameBuilder b = three();
  TopState st;
  CHECK(ids(build_table(b.f, st)) == std::vector<RowId>{{20, 0}, {10, 0}, {30, 0}});
  st.sort = "pid";
  CHECK(ids(build_table(b.f, st)) == std::vector<RowId>{{10, 0}, {20, 0}, {30, 0}});
  st.sort_reversed = true;
  CHECK(ids(build_table(b.f, st)) == std::vector<RowId>{{30, 0}, {20, 0}, {10, 0}});
  st.sort = "no-such-column";  // falls back to CPU%
  st.sort_reversed = false;
  CHECK(ids(build_table(b.f, st)).front() == RowId{20, 0});
}

TEST_CASE("a process row's rates are the sum over its threads; a thread row has its own", "[top]") {
  FrameBuilder b = three();
  TopState st;
  st.mode = TableMode::Threads;
  const TableView v = build_table(b.f, st);
  REQUIRE(v.rows.size() == 6);  // 20 with its 3 LWPs under it, then 10, then 30 (no LWP rows for one thread)
  CHECK(ids(v) == std::vector<RowId>{{20, 0}, {20, 21}, {20, 20}, {20, 22}, {10, 0}, {30, 0}});
  CHECK(v.rows[0].row.rate.cpu_pct == Approx(40));
  CHECK(v.rows[0].row.rate.nvcsw_ps == Approx(105));
  CHECK(v.rows[1].thread);
  CHECK(v.rows[1].depth == 1);
  CHECK(v.rows[1].row.rate.cpu_pct == Approx(25));
  CHECK(column("command").text(v.rows[1].row, v.env) == "worker-0");  // a thread shows its own name
  CHECK(column("command").text(v.rows[0].row, v.env) == "/usr/bin/server --run");
  CHECK(column("nvcsw_ps").text(v.rows[1].row, v.env) == "100");
  CHECK(v.rows[3].last == std::vector<bool>{true});
  CHECK(v.rows[1].last == std::vector<bool>{false});
}

TEST_CASE("a task new in the frame shows no rate rather than a false zero", "[top]") {
  FrameBuilder b;
  b.add(proc(10, 1, "fresh"));
  TopState st;
  const TableView v = build_table(b.f, st);
  REQUIRE(v.rows.size() == 1);
  CHECK(column("pcpu").text(v.rows[0].row, v.env) == "-");
  CHECK(column("pcpu").value(v.rows[0].row, v.env).is_null());
}

TEST_CASE("the filter keeps rows whose name or command matches, a process for its threads' names too", "[top]") {
  FrameBuilder b = three();
  TopState st;
  st.filter = "WORKER";
  CHECK(ids(build_table(b.f, st)) == std::vector<RowId>{{20, 0}});
  st.mode = TableMode::Threads;
  CHECK(ids(build_table(b.f, st)) == std::vector<RowId>{{20, 0}, {20, 21}, {20, 22}});
  st.filter = "ssh";
  CHECK(ids(build_table(b.f, st)) == std::vector<RowId>{{10, 0}});
  st.filter = "nothing-like-this";
  CHECK(build_table(b.f, st).rows.empty());
}

TEST_CASE("-u keeps one user's processes, by name or uid", "[top]") {
  FrameBuilder b;
  b.add(proc(10, 1, "a", {}, "alice")).add(proc(11, 1, "b", {}, "bob"));
  TopState st;
  st.user = "bob";
  CHECK(ids(build_table(b.f, st)) == std::vector<RowId>{{11, 0}});
}

TEST_CASE("the tree puts children under their parent, siblings in sort order", "[top]") {
  FrameBuilder b = three();
  b.add(proc(40, 20, "other"));
  b.rate(40, 40, 50);
  TopState st;
  st.tree = true;
  const TableView v = build_table(b.f, st);
  CHECK(ids(v) == std::vector<RowId>{{20, 0}, {40, 0}, {30, 0}, {10, 0}});
  CHECK(v.rows[1].depth == 1);
  CHECK(v.rows[1].last == std::vector<bool>{false});
  CHECK(v.rows[2].last == std::vector<bool>{true});
  CHECK(v.rows[3].depth == 0);
  // Threads come first under their process, then its children.
  st.mode = TableMode::Threads;
  const TableView t = build_table(b.f, st);
  CHECK(ids(t) == std::vector<RowId>{{20, 0}, {20, 21}, {20, 20}, {20, 22}, {40, 0}, {30, 0}, {10, 0}});
  CHECK(t.rows[3].last == std::vector<bool>{false});  // child processes follow the last thread
}

TEST_CASE("tasks that ended since the last frame stay one refresh as dying rows", "[top]") {
  FrameBuilder b = three();
  b.dying(proc(50, 1, "short-lived"));                         // a whole process ended
  b.dying(proc(20, 1, "server", {task(23, 20, "worker-2")}));  // one thread of a live process ended
  TopState st;
  st.sort = "pid";
  TableView v = build_table(b.f, st);
  CHECK(ids(v) == std::vector<RowId>{{10, 0}, {20, 0}, {30, 0}, {50, 0}});
  CHECK(v.rows[3].row.dying);
  CHECK_FALSE(v.rows[1].row.dying);
  CHECK(column("pcpu").text(v.rows[3].row, v.env) == "-");
  st.mode = TableMode::Threads;
  v = build_table(b.f, st);
  CHECK(ids(v) == std::vector<RowId>{{10, 0}, {20, 0}, {20, 20}, {20, 21}, {20, 22}, {20, 23}, {30, 0}, {50, 0}});
  CHECK(v.rows[5].row.dying);
  CHECK_FALSE(v.rows[4].row.dying);
}

TEST_CASE("the selection stays on its pid/tid when rows move, and on its line when it is gone", "[top]") {
  FrameBuilder b = three();
  TopState st;
  TableView v = build_table(b.f, st);
  settle_selection(st, v, 10);
  CHECK(st.selected == RowId{20, 0});  // nothing chosen yet: the first row
  st.selected = {10, 0};
  settle_selection(st, v, 10);
  CHECK(v.selected == 1);
  // Next frame: 10 is the busiest now and moves to the top; the selection moves with it.
  FrameBuilder n;
  n.add(proc(10, 1, "sshd")).add(proc(20, 1, "server")).add(proc(30, 20, "helper"));
  n.rate(10, 10, 90).rate(20, 20, 1).rate(30, 30, 2);
  v = build_table(n.f, st);
  settle_selection(st, v, 10);
  CHECK(v.selected == 0);
  CHECK(st.selected == RowId{10, 0});
  // 10 exits: the row now at its index is selected.
  FrameBuilder g;
  g.add(proc(20, 1, "server")).add(proc(30, 20, "helper"));
  g.rate(20, 20, 1).rate(30, 30, 2);
  v = build_table(g.f, st);
  settle_selection(st, v, 10);
  CHECK(st.selected == RowId{30, 0});
}

TEST_CASE("the view scrolls to keep the selection shown; with follow it keeps its screen line", "[top]") {
  FrameBuilder b;
  for (int pid = 100; pid < 130; ++pid) b.add(proc(pid, 1, "p")).rate(pid, pid, pid - 100);  // 129 busiest
  TopState st;
  st.sort = "pid";
  st.selected = {125, 0};
  TableView v = build_table(b.f, st);
  settle_selection(st, v, 10);
  CHECK(v.selected == 25);
  CHECK(st.scroll == 16);
  CHECK(st.screen_line == 9);
  st.follow = true;
  st.sort = "pcpu";  // 125 moves to index 4; with follow it stays on line 9 (scroll clamps at 0)
  v = build_table(b.f, st);
  settle_selection(st, v, 10);
  CHECK(v.selected == 4);
  CHECK(st.scroll == 0);
}

TEST_CASE("the collector is asked for what the table shows: DELAY only when shown, never the layout", "[top]") {
  TopState st;
  const Fields shown = top_fields(st, false);
  for (Field f : {Field::Ids, Field::State, Field::Times, Field::Sched, Field::Switches, Field::Memory, Field::User,
                  Field::Cmdline})
    CHECK(has(shown, f));
  CHECK_FALSE(has(shown, Field::Delay));   // no DELAY column on a /proc source
  CHECK_FALSE(has(shown, Field::Layout));  // no column shows the code/data addresses
  CHECK(has(top_fields(st, true), Field::Delay));
  // Every field asked is one a shown column needs (or the header's task states).
  Fields need = static_cast<Fields>(Field::State);
  for (const ColumnSpec* c : columns(top_column_ids(st.mode, false))) need = need | c->needs;
  CHECK(shown == need);
  st.mode = TableMode::Threads;
  CHECK(top_fields(st, false) == need);  // TID costs no read of its own
}

TEST_CASE("a process row's DELAY is unknown, not 0.0, when the snapshot has no run-queue delay", "[top]") {
  // The BPF source drops Field::Delay from a snapshot that also holds processes read from /proc:
  // the column stays (the source is bpf) but no row may claim a delay of 0.
  FrameBuilder b = three();
  b.f.snap.source = "bpf";
  TopState st;
  const TableView v = build_table(b.f, st);
  REQUIRE(!v.rows.empty());
  REQUIRE(std::find(v.cols.begin(), v.cols.end(), &column("delay")) != v.cols.end());
  for (const DisplayRow& r : v.rows) CHECK(column("delay").text(r.row, v.env) == "-");
}
