// bench_test.cpp: `taskscope bench`: the shape of its output, and the relations between its rows
// that hold on any machine, loaded or not (no timed assertion beyond these orderings):
// a process costs more to create than a thread, a thread more than a goroutine; a parked thread
// holds more memory than a parked G; the kernel counts every switch of a process or thread
// ping-pong and no voluntary switch for goroutine switches.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <map>

#include <nlohmann/json.hpp>

#include "../support/support.h"
#include "costs/go_row.h"

using nlohmann::json;
using ts::test::lines;
using ts::test::run;
using ts::test::taskscope_bin;

namespace {

constexpr auto kTimeout = std::chrono::seconds(120);

// quick_json() runs `taskscope bench --quick --json` plus `extra` and parses its objects.
std::vector<json> quick_json(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{taskscope_bin(), "bench", "--quick", "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const auto r = run(argv, kTimeout);
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::vector<json> v;
  for (const std::string& l : lines(r.out)) v.push_back(json::parse(l));
  return v;
}

// full_rows() is one --quick --json run of the default rows (Go's too when go is on PATH), by row
// id; the run is shared by the tests below.
const std::map<std::string, json>& full_rows() {
  static const std::map<std::string, json> rows = [] {
    std::map<std::string, json> m;
    for (const json& o : quick_json())
      if (o["type"] == "bench_row") m[o["row"].get<std::string>()] = o;
    return m;
  }();
  return rows;
}

double num(const json& row, const char* key) {
  INFO(row.dump() << " [" << key << "]");
  REQUIRE(row.contains(key));
  REQUIRE(row[key].is_number());
  return row[key].get<double>();
}

}  // namespace

TEST_CASE("bench --json: an env object, then one row per unit kind with its figures", "[bench]") {
  const std::vector<json> objs = quick_json({"--only", "thread,goro"});
  REQUIRE(objs.size() == 3);
  CHECK(objs[0]["type"] == "bench_env");
  CHECK(objs[0]["rounds"] == 3);
  CHECK(objs[0]["load1"].is_number());
  CHECK(objs[0]["clock_ns"].get<double>() > 0);
  CHECK(objs[0]["switch_cpu"].is_number_integer());
  CHECK(objs[1]["kind"] == "thread");
  CHECK(objs[2]["kind"] == "goro");
  for (size_t i = 1; i < objs.size(); ++i) {
    const json& o = objs[i];
    INFO(o.dump());
    CHECK(o["type"] == "bench_row");
    CHECK_FALSE(o.contains("pid"));
    for (const char* f : {"create", "switch", "roundtrip"}) {
      const std::string k = f;
      CHECK(num(o, (k + "_min_ns").c_str()) <= num(o, (k + "_ns").c_str()));
      CHECK(num(o, (k + "_ns").c_str()) <= num(o, (k + "_max_ns").c_str()));
    }
    CHECK(num(o, "bytes") > 0);
    CHECK(num(o, "reserved_bytes") > 0);
    CHECK(num(o, "switches") > 0);
  }
}

TEST_CASE("bench: creating a process costs more than a thread, a thread more than a goroutine", "[bench]") {
  const auto& rows = full_rows();
  for (const char* id : {"process", "exec", "thread", "goro"}) {
    INFO(id);
    REQUIRE(rows.count(id) == 1);
  }
  CHECK(num(rows.at("process"), "create_ns") > num(rows.at("thread"), "create_ns"));
  CHECK(num(rows.at("exec"), "create_ns") > num(rows.at("thread"), "create_ns"));
  CHECK(num(rows.at("thread"), "create_ns") > num(rows.at("goro"), "create_ns"));
  CHECK(rows.at("exec")["switch_ns"].is_null());
}

TEST_CASE("bench: a parked thread holds more memory than a parked G; reserved stacks are the real ones", "[bench]") {
  const auto& rows = full_rows();
  CHECK(num(rows.at("thread"), "bytes") > num(rows.at("goro"), "bytes"));
  CHECK(num(rows.at("thread"), "bytes_units") > 1);
  CHECK(num(rows.at("goro"), "bytes_units") > 1);
  rlimit rl{};
  REQUIRE(getrlimit(RLIMIT_STACK, &rl) == 0);
  if (rl.rlim_cur != RLIM_INFINITY) {
    CHECK(num(rows.at("thread"), "reserved_bytes") == double(rl.rlim_cur));  // glibc's default thread stack
    CHECK(num(rows.at("process"), "reserved_bytes") == double(rl.rlim_cur));
  }
  CHECK(num(rows.at("goro"), "reserved_bytes") >= 8192);  // goro's floor for GORO_STACK_SIZE
}

TEST_CASE("bench: the kernel counts each ping-pong switch of processes and threads, no goroutine switch", "[bench]") {
  // Two tasks pinned to one CPU: every switch between them is one context switch of the task
  // switched out, voluntary (it blocked) or involuntary (the wakeup preempted it), so the sum can
  // only exceed the count, by preemptions from other tasks: at most one per scheduler slice
  // (>= 0.75 ms) of a test lasting a few tens of ms here. 2% + 50 covers a loaded 2-core CI
  // machine with a margin; 2 below covers the protocol waits, subtracted as exactly one.
  const auto& rows = full_rows();
  for (const char* id : {"process", "thread"}) {
    const json& r = rows.at(id);
    INFO(r.dump());
    const double sw = num(r, "switches"), kernel = num(r, "nvcsw") + num(r, "nivcsw");
    CHECK(kernel >= sw - 2);
    CHECK(kernel <= sw + sw / 50 + 50);
  }
  const json& g = rows.at("goro");
  INFO(g.dump());
  CHECK(num(g, "switches") >= 100000);
  CHECK(g["nvcsw"] == 0);  // hundreds of thousands of G switches, not one kernel block
}

TEST_CASE("bench: the table, the notes and the log-scale charts", "[bench]") {
  const auto r = run({taskscope_bin(), "bench", "--quick", "--only", "goro", "--only", "thread"}, kTimeout);
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::vector<std::string> ls = lines(r.out);
  REQUIRE(ls.size() > 10);
  CHECK(ls[0].rfind("taskscope bench --quick: ", 0) == 0);
  CHECK(ls[0].find(" load ") != std::string::npos);
  CHECK(ls[1].find("pinned to CPU") != std::string::npos);
  const std::vector<std::string> head = ts::test::words(ls[2]);
  REQUIRE(head.size() >= 4);
  CHECK(head[0] == "UNIT");
  CHECK(head[1] == "CREATE");
  CHECK(ls[3].rfind("thread ", 0) == 0);
  CHECK(ls[4].rfind("goro G ", 0) == 0);
  CHECK(ls[3].find("medium / medium") != std::string::npos);
  CHECK(ls[4].find("small / very small") != std::string::npos);
  CHECK(ls[5].empty());
  for (const char* chart : {"create, ns per unit (log scale)", "switch, ns per switch (log scale)",
                            "memory, RSS bytes per idle unit (log scale)"}) {
    INFO(chart);
    const auto at = std::find(ls.begin(), ls.end(), chart);
    REQUIRE(at != ls.end());
    REQUIRE(ls.end() - at >= 4);
    // Axis, then a bar per row: the thread's longer than the G's (log of a larger value).
    CHECK(at[2].rfind("thread", 0) == 0);
    CHECK(at[3].rfind("goro G", 0) == 0);
    const auto bar = [](const std::string& l) { return l.rfind("\u2588") == std::string::npos ? 0 : l.rfind("\u2588"); };
    CHECK(bar(at[2]) > bar(at[3]));
  }
  CHECK(ts::test::raw_control(r.out) == -1);
}

TEST_CASE("bench: the Go row builds offline and measures a real goroutine", "[bench][go]") {
  if (ts::costs::find_go().empty()) {
    WARN("SKIPPED: no go on PATH (apt-get install golang-go)");
    return;
  }
  const std::vector<json> objs = quick_json({"--only", "go"});
  REQUIRE(objs.size() == 2);
  const json& g = objs[1];
  INFO(g.dump());
  CHECK(g["kind"] == "go");
  CHECK(num(g, "create_ns") > 0);
  CHECK(num(g, "switch_ns") > 0);
  CHECK(num(g, "bytes") > 0);
  CHECK(g["reserved_bytes"] == 2048);
  CHECK(num(g, "switches") > 0);
}
