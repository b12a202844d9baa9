// top_batch_test.cpp: `taskscope top -b` and `--json` as scripts use them, checked against
// fixtures' own facts; and top's command line errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "../support/support.h"
#include "sys/text.h"

using nlohmann::json;
using ts::test::lines;
using ts::test::run;
using ts::test::taskscope_bin;
using ts::test::words;

namespace {

std::vector<json> objects(const std::string& out) {
  std::vector<json> v;
  for (const std::string& l : lines(out)) v.push_back(json::parse(l));
  return v;
}

bool has_word(const std::vector<std::string>& w, const std::string& x) { return std::find(w.begin(), w.end(), x) != w.end(); }

}  // namespace

TEST_CASE("top -b -n 2 prints two frames: the header, then the table with the process's row", "[top][batch]") {
  ts::test::Fixture fx("named_threads", {"2"});
  const std::string pid = std::to_string(fx.pid());
  const auto r = run({taskscope_bin(), "top", "-b", "-n", "2", "-d", "0.2", "-p", pid});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(ts::test::raw_control(r.out) == -1);
  size_t frames = 0, rows = 0, heads = 0;
  for (const std::string& l : lines(r.out)) {
    if (l.find("Tasks: 1, 3 thr") != std::string::npos) ++frames;
    const auto w = words(l);
    if (!w.empty() && w[0] == "PID") {
      ++heads;
      CHECK(w.back() == "COMMAND");
      for (const char* t : {"USER", "PRI", "NI", "VIRT", "RES", "S", "CPU%\u25bc", "MEM%", "TIME+", "NLWP", "NVCSW/s", "NIVCSW/s"})
        CHECK(has_word(w, t));
      CHECK_FALSE(has_word(w, "TID"));
    }
    if (!w.empty() && w[0] == pid) {
      ++rows;
      CHECK(w[1] == "root");
      CHECK(w[10] == "3");  // NLWP
      CHECK(w[7] != "-");   // the first frame printed already has a CPU%
      CHECK(l.find(ts::test::fixture_path("named_threads") + " 2") != std::string::npos);
    }
  }
  CHECK(frames == 2);
  CHECK(heads == 2);
  CHECK(rows == 2);
}

TEST_CASE("top -b -H shows each thread under its process by its own name", "[top][batch]") {
  ts::test::Fixture fx("named_threads", {"3"});
  const json facts = json::parse(fx.facts());
  const std::string pid = std::to_string(fx.pid());
  const auto r = run({taskscope_bin(), "top", "-b", "-n", "1", "-H", "-p", pid, "--source", "proc"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  for (const json& t : facts["threads"]) {
    const std::string tid = std::to_string(t["tid"].get<int>());
    bool found = false;
    for (const std::string& l : lines(r.out)) {
      const auto w = words(l);
      if (w.size() > 2 && w[0] == pid && w[1] == tid) found = l.find(t["name"].get<std::string>()) != std::string::npos;
    }
    CHECK(found);
  }
}

TEST_CASE("top --json: a frame object, then one object per row, each with its frame, type and pid", "[top][batch][ndjson]") {
  ts::test::Fixture fx("named_threads", {"2"});
  const json facts = json::parse(fx.facts());
  const int pid = fx.pid();
  const auto r = run({taskscope_bin(), "top", "-b", "-n", "2", "-d", "0.2", "-H", "--json", "-p", std::to_string(pid)});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const auto objs = objects(r.out);
  REQUIRE(objs.size() == 2 * (1 + 1 + 3));  // per frame: the frame, the process, its 3 LWPs
  std::set<int> tids;
  for (const json& o : objs) {
    CHECK(o.contains("type"));
    CHECK(o.contains("pid"));
    CHECK((o["frame"] == 1 || o["frame"] == 2));
    if (o["type"] == "frame") {
      CHECK(o["pid"].is_null());
      CHECK(o["mem_total"].get<uint64_t>() > 0);
      CHECK(o["processes"] == 1);
      CHECK(o["threads"] == 3);
      continue;
    }
    CHECK(o["pid"] == pid);
    CHECK((o["type"] == "process" || o["type"] == "thread"));
    CHECK(o["cpu_pct"].is_number());  // every row printed has rates
    CHECK(o["nvcsw_ps"].is_number());
    CHECK(o["nivcsw_ps"].is_number());
    CHECK(o["dying"] == false);
    CHECK(o["nlwp"] == 3);
    if (o["type"] == "thread") tids.insert(o["tid"].get<int>());
    else CHECK(o["command"] == ts::test::fixture_path("named_threads") + " 2");
  }
  std::set<int> want{pid};
  for (const json& t : facts["threads"]) want.insert(t["tid"].get<int>());
  CHECK(tids == want);
}

TEST_CASE("top prints one frame as text when its output is not a terminal", "[top][batch]") {
  ts::test::Fixture fx("named_threads", {"1"});
  const auto r = run({taskscope_bin(), "top", "-p", std::to_string(fx.pid())});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  size_t frames = 0;
  for (const std::string& l : lines(r.out)) frames += l.find("Load average:") != std::string::npos;
  CHECK(frames == 1);
  const auto j = run({taskscope_bin(), "top", "--json", "-p", std::to_string(fx.pid())});
  REQUIRE(j.status == 0);
  CHECK(objects(j.out).size() == 2);
}

TEST_CASE("top shows hostile names escaped, and --json keeps their bytes", "[top][batch][escape]") {
  const std::vector<std::string> args = {"\x1b[31mred\x1b[0m", "x\n  999 fake 0 root S"};
  ts::test::Fixture fx("hostile_names", args);
  const json facts = json::parse(fx.facts());
  const std::string pid = std::to_string(fx.pid());
  const auto r = run({taskscope_bin(), "top", "-b", "-n", "1", "-H", "-p", pid});
  REQUIRE(r.status == 0);
  CHECK(ts::test::raw_control(r.out) == -1);
  CHECK(r.out.find(ts::sys::printable(facts["thread_name"].get<std::string>())) != std::string::npos);
  CHECK(r.out.find("\\x1b[31mred\\x1b[0m x\\x0a  999 fake") != std::string::npos);
  const auto j = run({taskscope_bin(), "top", "-b", "-n", "1", "-H", "--json", "-p", pid});
  REQUIRE(j.status == 0);
  bool exact = false;
  for (const json& o : objects(j.out))
    if (o["type"] == "thread" && o["tid"] == facts["tid"]) exact = o["comm"] == facts["thread_name"];
  CHECK(exact);
}

TEST_CASE("top's bad options and pids are one-line errors naming the flag", "[top][batch][cli]") {
  for (const auto& [args, status, needle] : std::vector<std::tuple<std::vector<std::string>, int, std::string>>{
           {{"-d", "0"}, 2, "-d"},
           {{"-d", "x"}, 2, "--delay"},
           {{"-n", "-1", "-b"}, 2, "-n"},
           {{"-p", ""}, 2, "-p"},
           {{"-p", "0x10"}, 2, "-p"},
           {{"--source", "magic"}, 2, "--source"},
           {{"-b", "-n", "1", "-p", "2147483646"}, 1, "no process with pid 2147483646"},
       }) {
    std::vector<std::string> argv{taskscope_bin(), "top"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run(argv);
    INFO(args.front() << ": " << r.err);
    CHECK(r.status == status);
    CHECK(lines(r.err).size() == 1);
    CHECK(r.err.rfind("taskscope: ", 0) == 0);
    CHECK(r.err.find(needle) != std::string::npos);
  }
}
