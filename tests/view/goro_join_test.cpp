// goro_join_test.cpp: the M↔LWP join against a real goro program's published segment: each M's
// kernel thread is an LWP row of the process, and that row shows the M and the G it runs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "../support/support.h"
#include "goro/reader.h"
#include "procfs/proc_source.h"
#include "view/compose.h"
#include "view/gmp_pane.h"
#include "view/symbol_cache.h"

using namespace ts;
using namespace ts::view;

TEST_CASE("each goro M is joined to its LWP row, which shows the M and the G it runs", "[top][goro]") {
  ts::test::Fixture fx("goro_gmp_target", {"2"});
  const auto facts = nlohmann::json::parse(fx.facts());
  const int32_t pid = facts["pid"];
  const uint64_t main_goid = facts["main_goid"];

  Frame f;
  f.seq = 1;
  auto src = make_proc_source();
  Request req;
  req.pids = {pid};
  // The fixture prints its facts just before its main G enters read(2): read the segment until
  // that G's M says so (a loaded machine may not have got there yet).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    f.goro[pid] = goro::read_goro(pid);
    const auto& ms = f.goro[pid].ms;
    if (std::any_of(ms.begin(), ms.end(), [&](const GoroM& m) { return m.cur_goid == main_goid && m.in_syscall; }) ||
        std::chrono::steady_clock::now() > deadline)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  f.snap = src->snapshot(req);
  const GoroSnapshot& g = f.goro[pid];
  REQUIRE(!g.ms.empty());
  const Process* p = f.snap.find(pid);
  REQUIRE(p);

  SymbolCache symbols;
  const SymbolizeFn sym = [&](int32_t q, uint64_t pc) { return symbols.name(q, pc); };
  const GoroLabels labels = goro_labels(f, sym, true);
  bool main_shown = false;
  for (const MJoin& j : join_ms(f, g)) {
    INFO("M" << j.m->id << " tid " << j.m->tid);
    REQUIRE(j.lwp != nullptr);  // every M's tid is a live LWP of the process
    CHECK(j.lwp->tgid == pid);
    REQUIRE(labels.count(j.m->tid) == 1);
    const std::string& l = labels.at(j.m->tid);
    INFO(l);
    CHECK(l.rfind("M" + std::to_string(j.m->id), 0) == 0);
    if (j.m->cur_goid == main_goid) {
      main_shown = true;
      CHECK(l.find("\u2192 G" + std::to_string(main_goid)) != std::string::npos);
      CHECK(l.find("goro::detail::main_tramp()") != std::string::npos);  // its function, from the binary's symbols
      CHECK(l.find("(syscall)") != std::string::npos);  // it sits in read(2) of stdin
    }
  }
  CHECK(main_shown);  // the main G sits in a read() of stdin on its M

  // In thread mode the LWP row of each M carries the label; the G/M/P pane lists the Ps and the Ms
  // beside their LWPs' names.
  TopState st;
  st.mode = TableMode::Threads;
  const TableView v = build_table(f, st, labels);
  size_t labelled = 0;
  for (const DisplayRow& r : v.rows)
    if (r.thread && r.row.label) {
      ++labelled;
      CHECK(column("command").text(r.row, v.env).find(*r.row.label) != std::string::npos);
    }
  CHECK(labelled == g.ms.size());
  std::string pane;
  for (const Line& l : gmp_pane_lines(f, pid, nullptr, sym, true)) pane += l.text() + "\n";
  INFO(pane);
  CHECK(pane.find("P0 ") != std::string::npos);
  CHECK(pane.find("P1 ") != std::string::npos);
  for (const GoroM& m : g.ms) CHECK(pane.find("M" + std::to_string(m.id) + " ") != std::string::npos);
  for (const GoroM& m : g.ms) CHECK(pane.find(" " + std::to_string(m.tid) + " ") != std::string::npos);
  CHECK(pane.find("waiting (chan receive)") != std::string::npos);
  CHECK(fx.stop() == 0);
}
