// trace_print_test.cpp: trace's NDJSON shape (type and pid on every object, the counters' names)
// and its text lines with names another process chose.
#include <catch2/catch.hpp>

#include <sstream>

#include "../support/support.h"
#include "trace_print.h"
#include "trace_summary.h"

using namespace ts;
using nlohmann::json;

namespace {

// kHostile is a name with an escape sequence, a newline and an 8-bit CSI.
const std::string kHostile = "\x1b[2J\nrow\xc2\x9b";

std::vector<Event> sample_events() {
  CloneEvent c;
  c.parent_pid = 10, c.parent_tid = 11, c.parent_comm = kHostile, c.child_pid = 12, c.child_tid = 12;
  ExecEvent x;
  x.pid = 20, x.tid = 20, x.old_tid = 21, x.comm = kHostile, x.filename = "/tmp/" + kHostile;
  x.argv = {kHostile, "a\nb"};
  ExitEvent e;
  e.pid = 30, e.tid = 31, e.comm = kHostile;
  SwitchEvent s;
  s.prev_pid = 40, s.prev_tid = 41, s.prev_comm = kHostile, s.next_pid = 50, s.next_tid = 51, s.next_comm = kHostile;
  return {c, x, e, s};
}

}  // namespace

TEST_CASE("every trace object has type and pid, and the task's own comm", "[trace][ndjson]") {
  const std::vector<Event> evs = sample_events();
  const std::vector<std::pair<const char*, int>> want = {{"clone", 10}, {"exec", 20}, {"exit", 30}, {"switch", 40}};
  for (size_t i = 0; i < evs.size(); ++i) {
    const json j = tools::event_json(evs[i]);
    INFO(j.dump());
    CHECK(j["type"] == want[i].first);
    CHECK(j["pid"] == want[i].second);
    CHECK(j["comm"] == kHostile);  // JSON keeps the bytes
    CHECK_FALSE(j.contains("event"));
  }
  const json clone = tools::event_json(evs[0]);
  CHECK(clone["tid"] == 11);
  CHECK(clone["child_pid"] == 12);
  const json sw = tools::event_json(evs[3]);
  CHECK(sw["tid"] == 41);
  CHECK(sw["next_pid"] == 50);
  CHECK(sw["next_comm"] == kHostile);
}

TEST_CASE("trace's end object and summary rows have type and pid, counters nvcsw/nivcsw", "[trace][ndjson]") {
  ThreadSchedStats s;
  s.pid = 7, s.tid = 8, s.comm = "w", s.nvcsw = 3, s.nivcsw = 4;
  const json j = tools::thread_stats_json(s);
  CHECK(j["type"] == "thread_sched");
  CHECK(j["pid"] == 7);
  CHECK(j["nvcsw"] == 3);
  CHECK(j["nivcsw"] == 4);
  tools::TraceEnd end;
  end.mode = tools::TraceMode::Sched;
  end.pid = 7;
  end.count = 2;
  const json e = tools::end_json(end);
  CHECK(e["type"] == "end");
  CHECK(e["pid"] == 7);
  end.pid = 0;
  CHECK(tools::end_json(end)["pid"].is_null());  // every task was traced
}

TEST_CASE("trace text lines show hostile names escaped, one line per event", "[trace][escape]") {
  for (const Event& e : sample_events()) {
    const std::string line = tools::event_text(e, 0);
    INFO(line);
    CHECK(ts::test::raw_control(line) == -1);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find("\\x1b[2J\\x0arow\\xc2\\x9b") != std::string::npos);
  }
  ThreadSchedStats s;
  s.pid = 7, s.tid = 8, s.comm = kHostile, s.nvcsw = 3, s.nivcsw = 4;
  s.oncpu.slots = {0, 1};
  std::ostringstream out;
  tools::print_sched_table(out, {s});
  tools::print_sched_hists(out, {s}, 1);
  std::istringstream text(out.str());
  size_t with_name = 0;
  for (std::string line; std::getline(text, line);) {
    CHECK(ts::test::raw_control(line) == -1);
    with_name += line.find("\\x1b[2J\\x0arow") != std::string::npos;
  }
  CHECK(with_name == 2);  // the table row and the histogram's title
  CHECK(out.str().find("\\x1b[2J\\x0arow") != std::string::npos);
}
