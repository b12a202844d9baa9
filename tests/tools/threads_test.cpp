// threads_test.cpp: `taskscope threads` against a fixture's own facts.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../procfs/settle.h"
#include "../support/support.h"

using nlohmann::json;
using ts::test::lines;
using ts::test::run;
using ts::test::taskscope_bin;

TEST_CASE("threads prints a header and one row per thread, marking the leader", "[threads]") {
  ts::test::Fixture fx("named_threads", {"3"});
  const json facts = json::parse(fx.facts());
  const int pid = facts["pid"];
  const auto r = run({taskscope_bin(), "threads", std::to_string(pid)});
  REQUIRE(r.status == 0);
  const auto ls = lines(r.out);
  REQUIRE(ls.size() == 6);
  CHECK(ls[0] == "pid " + std::to_string(pid) + " (named_threads): 4 threads, leader " + std::to_string(pid));
  std::istringstream head(ls[1]);
  std::string first;
  head >> first;
  CHECK(first == "L");
  CHECK(ls[1].find("TID NAME") != std::string::npos);
  CHECK(ls[2].rfind("* " + std::to_string(pid) + " named_threads ", 0) == 0);
  for (int i = 0; i < 3; ++i) {
    const json& t = facts["threads"][i];
    const std::string tid = std::to_string(t["tid"].get<int>());
    bool seen = false;
    for (size_t l = 3; l < ls.size(); ++l)
      if (ls[l].find(" " + tid + " " + t["name"].get<std::string>() + " ") != std::string::npos) seen = true;
    CHECK(seen);
  }
}

TEST_CASE("threads --json: one object per thread with the fixture's names", "[threads]") {
  ts::test::Fixture fx("named_threads", {"5"});
  const json facts = json::parse(fx.facts());
  const int pid = facts["pid"];
  REQUIRE(ts::test::wait_all_asleep(pid));
  const auto r = run({taskscope_bin(), "threads", "--json", std::to_string(pid)});
  REQUIRE(r.status == 0);
  std::map<int, json> by_tid;
  for (const std::string& l : lines(r.out)) {
    const json j = json::parse(l);
    by_tid[j["tid"]] = j;
  }
  REQUIRE(by_tid.size() == 6);
  CHECK(by_tid[pid]["leader"] == true);
  CHECK(by_tid[pid]["comm"] == "named_threads");
  for (const json& t : facts["threads"]) {
    const json& j = by_tid[t["tid"].get<int>()];
    CHECK(j["comm"] == t["name"]);
    CHECK(j["leader"] == false);
    CHECK(j["pid"] == pid);
    CHECK(j["state"] == "S");
    CHECK(j["policy"] == "TS");
    CHECK(j["last_cpu"].get<int>() >= 0);
    CHECK(j.contains("utime_ns"));
    CHECK(j.contains("stime_ns"));
    CHECK(j["nvcsw"].get<uint64_t>() + j["nivcsw"].get<uint64_t>() > 0);
  }
}

TEST_CASE("threads of a thread id points at its process", "[threads]") {
  ts::test::Fixture fx("named_threads", {"1"});
  const json facts = json::parse(fx.facts());
  const int pid = facts["pid"], tid = facts["threads"][0]["tid"];
  const auto r = run({taskscope_bin(), "threads", std::to_string(tid)});
  CHECK(r.status == 1);
  CHECK(r.err == "taskscope: pid " + std::to_string(tid) + " is a thread of process " + std::to_string(pid) +
                     "; try: taskscope threads " + std::to_string(pid) + "\n");
}

TEST_CASE("threads: unknown pid exits 1, bad usage exits 2", "[threads]") {
  const auto r = run({taskscope_bin(), "threads", "999999999"});
  CHECK(r.status == 1);
  CHECK(r.err == "taskscope: no process with pid 999999999\n");
  CHECK(r.out.empty());
  CHECK(run({taskscope_bin(), "threads"}).status == 2);
  CHECK(run({taskscope_bin(), "threads", "abc"}).status == 2);
  CHECK(run({taskscope_bin(), "threads", "0"}).status == 2);
  CHECK(run({taskscope_bin(), "threads", "1", "--bogus"}).status == 2);
}

TEST_CASE("threads never fails while the process churns threads", "[threads][churn]") {
  ts::test::Fixture fx("thread_churn");
  const std::string pid = std::to_string(json::parse(fx.facts())["pid"].get<int>());
  for (int i = 0; i < 20; ++i) {
    const auto r = run({taskscope_bin(), "threads", pid});
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    CHECK(lines(r.out).size() >= 3);  // header, titles, the leader
  }
}
