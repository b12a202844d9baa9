// replay_cli_test.cpp: `taskscope ps --replay FILE --at TIME` as a script uses it: the sample's
// rows (text and NDJSON), and one-line errors with the right exit status for bad files and flags.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/support.h"
#include "../support/tmux.h"
#include "history/writer.h"
#include "history_frames.h"

using namespace ts;
using ts::test::run;
using ts::test::taskscope_bin;

namespace {

constexpr uint64_t kWall0 = 1'790'000'000'000'000'000ull;  // 2026-09-21 14:13:20 UTC

void write(const std::string& path, bool threads) {
  history::Writer w(path, {});
  for (uint64_t i = 1; i <= 3; ++i) w.append(test::recorded_frame(i), threads, kWall0 + (i - 1) * 1'000'000'000);
}

}  // namespace

TEST_CASE("ps --replay prints the sample at --at", "[history][cli]") {
  test::TempDir dir;
  const std::string path = dir.file("r.db");
  write(path, true);
  auto r = run({taskscope_bin(), "ps", "--replay", path, "--at", "start"});
  REQUIRE(r.status == 0);
  CHECK(r.err == "taskscope: " + path + ": sample 1 taken 2026-09-21 14:13:20 UTC\n");
  CHECK(r.out.find("/usr/bin/srv --run") != std::string::npos);
  CHECK(r.out.find("child") == std::string::npos);  // process 200 appears in sample 2

  r = run({taskscope_bin(), "ps", "-L", "--replay", path, "--at", "+1s", "--json", "-p", "100"});
  REQUIRE(r.status == 0);
  const auto rows = test::lines(r.out);
  REQUIRE(rows.size() == 2);
  const auto j = nlohmann::json::parse(rows[1]);
  CHECK(j["tid"] == 101);
  CHECK(j["nvcsw"] == 10);  // sample 2: 5 a second
  CHECK(r.err.empty());
}

TEST_CASE("ps --replay errors are one line with the right status", "[history][cli]") {
  test::TempDir dir;
  const std::string sums = dir.file("sums.db");
  write(sums, false);
  auto r = run({taskscope_bin(), "ps", "-L", "--replay", sums});
  CHECK(r.status == 1);
  CHECK(r.err == "taskscope: " + sums + " was recorded without --threads: it has no per-thread rows (drop -L, or record with --threads)\n");
  r = run({taskscope_bin(), "ps", "--replay", sums, "--at", "noon"});
  CHECK(r.status == 2);
  CHECK(r.err.rfind("taskscope: --at noon: expected", 0) == 0);
  r = run({taskscope_bin(), "ps", "--at", "start"});
  CHECK(r.status == 2);
  CHECK(r.err == "taskscope: --at needs --replay FILE\n");
  const std::string foreign = dir.file("foreign");
  std::ofstream(foreign) << "not sqlite";
  r = run({taskscope_bin(), "ps", "--replay", foreign});
  CHECK(r.status == 1);
  CHECK(r.err == "taskscope: " + foreign + ": not a taskscope recording (SQLite: file is not a database)\n");
  r = run({taskscope_bin(), "record", "--retain", "5x", "-o", dir.file("x.db")});
  CHECK(r.status == 2);
  CHECK(r.err.rfind("taskscope: --retain 5x: expected a duration", 0) == 0);
}

TEST_CASE("top --replay -b prints the recorded frames from --at to the end", "[history][cli]") {
  test::TempDir dir;
  const std::string path = dir.file("r.db");
  write(path, true);
  auto r = run({taskscope_bin(), "top", "--replay", path, "--at", "+1s", "-b", "--json"});
  REQUIRE(r.status == 0);
  std::vector<nlohmann::json> frames;
  double srv_cpu = -1;
  for (const std::string& l : test::lines(r.out)) {
    const auto j = nlohmann::json::parse(l);
    if (j["type"] == "frame") frames.push_back(j);
    if (j["type"] == "process" && j["pid"] == 100 && j["frame"] == 1) srv_cpu = j["cpu_pct"];
  }
  REQUIRE(frames.size() == 2);  // samples 2 and 3
  CHECK(frames[0]["interval_s"] == 1.0);
  CHECK(frames[0]["time_ns"] == 2'000'000'000);
  CHECK(srv_cpu == Approx(3.0));  // its two threads: 10 and 20 ms a second
  r = run({taskscope_bin(), "top", "--replay", path, "-p", "1", "-b"});
  CHECK(r.status == 2);
}

TEST_CASE("top --replay: keys step through the recording", "[history][cli][tmux]") {
  REQUIRE(test::tmux_usable());
  test::TempDir dir;
  const std::string path = dir.file("r.db");
  write(path, true);
  test::TmuxSession s({taskscope_bin(), "top", "--replay", path}, 160, 30);
  REQUIRE(s.wait_for_text("sample 1, 2026-09-21 14:13:20 UTC"));
  CHECK(s.text().find("child") == std::string::npos);
  s.send("]", true);
  REQUIRE(s.wait_for_text("sample 2, 2026-09-21 14:13:21 UTC"));
  CHECK(s.wait_for_text("child"));  // process 200 is born in sample 2
  s.send("End");
  REQUIRE(s.wait_for_text("sample 3, "));
  s.send("[", true);
  REQUIRE(s.wait_for_text("sample 2, "));
  // @ asks for a time (--at's forms) and goes there; a bad one is named and nothing moves.
  s.send("@", true);
  REQUIRE(s.wait_for_text("Go to time: "));
  s.send("14:13:20", true);
  s.send("Enter");
  REQUIRE(s.wait_for_text("sample 1, 2026-09-21 14:13:20 UTC"));
  s.send("@", true);
  s.send("+2s", true);
  s.send("Enter");
  REQUIRE(s.wait_for_text("sample 3, 2026-09-21 14:13:22 UTC"));
  s.send("@", true);
  s.send("noon", true);
  s.send("Enter");
  CHECK(s.wait_for_text("replay: time noon: expected"));
  s.send("[", true);
  REQUIRE(s.wait_for_text("sample 2, "));
  s.send("k");
  s.send("Enter");
  CHECK(s.wait_for_text("replay: recorded tasks get no signals"));
  s.send("q", true);
  REQUIRE(s.wait_for([&](const std::string&) { return s.exit_status() != -1; }));
  CHECK(s.exit_status() == 0);
}
