// ps_test.cpp: `taskscope ps` run as users run it, checked against a fixture's own facts.
#include <catch2/catch.hpp>

#include <pwd.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../procfs/settle.h"
#include "../support/support.h"

using nlohmann::json;
using ts::test::lines;
using ts::test::run;
using ts::test::taskscope_bin;
using ts::test::words;

TEST_CASE("ps -p shows one row for the process, with its thread count and summed switches", "[ps]") {
  ts::test::Fixture fx("named_threads", {"3"});
  const std::string pid = std::to_string(json::parse(fx.facts())["pid"].get<int>());
  REQUIRE(ts::test::wait_all_asleep(std::stoi(pid)));
  const auto r = run({taskscope_bin(), "ps", "-p", pid});
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  const auto ls = lines(r.out);
  REQUIRE(ls.size() == 2);
  CHECK(words(ls[0]) == std::vector<std::string>{"PID", "PPID", "USER", "S", "TIME", "NI", "PRI", "CLS", "NLWP", "RSS",
                                                 "NVCSW", "NIVCSW", "STIME", "CMD"});
  const auto w = words(ls[1]);
  REQUIRE(w.size() == 15);  // CMD is the fixture's path and its argument
  CHECK(w[0] == pid);
  CHECK(w[3] == "S");
  CHECK(w[8] == "4");
  CHECK(w[13] == ts::test::fixture_path("named_threads"));
  CHECK(w[14] == "3");
}

TEST_CASE("ps -L --json: one object per LWP, whose switches add up to the process row", "[ps]") {
  ts::test::Fixture fx("named_threads", {"4"});
  const json facts = json::parse(fx.facts());
  const int pid = facts["pid"];
  REQUIRE(ts::test::wait_all_asleep(pid));
  const auto r = run({taskscope_bin(), "ps", "-L", "--json", "-p", std::to_string(pid)});
  REQUIRE(r.status == 0);
  const auto ls = lines(r.out);
  REQUIRE(ls.size() == 5);
  std::set<int> tids;
  for (const std::string& l : ls) {
    const json j = json::parse(l);
    CHECK(j["pid"] == pid);
    CHECK(j["nlwp"] == 5);
    CHECK(j["state"] == "S");
    CHECK(j["policy"] == "TS");
    CHECK(j["rss_bytes"].get<uint64_t>() > 0);
    CHECK(j["user"] == "root");
    CHECK(j["type"] == "thread");
    CHECK(j.contains("nvcsw"));
    CHECK(j.contains("nivcsw"));
    CHECK(j["start_unix_ns"].get<uint64_t>() > 1600000000ull * 1000000000ull);
    CHECK(j.contains("cpu_ns"));
    tids.insert(j["tid"].get<int>());
  }
  std::set<int> want{pid};
  for (const json& t : facts["threads"]) want.insert(t["tid"].get<int>());
  CHECK(tids == want);
  CHECK(json::parse(ls[0])["tid"] == pid);  // leader first
}

TEST_CASE("ps --sort orders rows and rejects unknown keys naming the flag", "[ps]") {
  const auto r = run({taskscope_bin(), "ps", "--sort", "nlwp", "--json"});
  REQUIRE(r.status == 0);
  int prev = 1 << 30;
  size_t n = 0;
  for (const std::string& l : lines(r.out)) {
    const int nlwp = json::parse(l)["nlwp"];
    CHECK(nlwp <= prev);
    prev = nlwp;
    ++n;
  }
  CHECK(n > 1);
  const auto bad = run({taskscope_bin(), "ps", "--sort", "color"});
  CHECK(bad.status == 2);
  CHECK(bad.err.find("--sort") != std::string::npos);
}

TEST_CASE("ps with an unknown pid says so and exits 1", "[ps]") {
  const auto r = run({taskscope_bin(), "ps", "-p", "999999999"});
  CHECK(r.status == 1);
  CHECK(r.err == "taskscope: no process with pid 999999999\n");
  CHECK(r.out.empty());
}

TEST_CASE("ps usage errors exit 2", "[ps]") {
  CHECK(run({taskscope_bin(), "ps", "--bogus"}).status == 2);
  const auto p = run({taskscope_bin(), "ps", "-p", "12,x"});
  CHECK(p.status == 2);
  CHECK(p.err == "taskscope: -p: 'x' is not a pid (expected positive decimal pids separated by commas or blanks)\n");
  CHECK(run({taskscope_bin(), "ps", "--source", "kernel"}).status == 2);
  const auto h = run({taskscope_bin(), "ps", "--help"});
  CHECK(h.status == 0);
  CHECK(h.out.find("--sort") != std::string::npos);
}

TEST_CASE("ps -L never fails while a process churns threads", "[ps][churn]") {
  ts::test::Fixture fx("thread_churn");
  const std::string pid = std::to_string(json::parse(fx.facts())["pid"].get<int>());
  for (int i = 0; i < 10; ++i) {
    const auto r = run({taskscope_bin(), "ps", "-L", "-p", pid});
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    CHECK(lines(r.out).size() >= 2);  // header and at least the leader
  }
  const auto all = run({taskscope_bin(), "ps", "-L"});
  CHECK(all.status == 0);
}

TEST_CASE("ps USER is the effective user, as ps shows it, from either source", "[ps]") {
  ts::test::Fixture fx("euid_nobody");
  const json facts = json::parse(fx.facts());
  const std::string pid = std::to_string(facts["pid"].get<int>());
  const uid_t euid = facts["euid"].get<uid_t>();
  const passwd* pw = getpwuid(euid);
  const std::string want = pw != nullptr ? pw->pw_name : std::to_string(euid);
  for (const char* source : {"proc", "bpf"}) {
    INFO("source " << source);
    const auto r = run({taskscope_bin(), "ps", "-p", pid, "--json", "--source", source});
    if (std::string(source) == "bpf") TS_BPF_GATE(r.status == 0, r.err);
    REQUIRE(r.status == 0);
    CHECK(json::parse(r.out)["user"] == want);
  }
}

TEST_CASE("ps -L shows each LWP's own name beside its process's command line", "[ps]") {
  ts::test::Fixture fx("named_threads", {"3"});
  const json facts = json::parse(fx.facts());
  const std::string pid = std::to_string(fx.pid());
  for (const char* source : {"proc", "bpf"}) {
    INFO("source " << source);
    const auto r = run({taskscope_bin(), "ps", "-L", "-p", pid, "--source", source});
    if (std::string(source) == "bpf") TS_BPF_GATE(r.status == 0, r.err);
    REQUIRE(r.status == 0);
    const auto ls = lines(r.out);
    REQUIRE(ls.size() == 5);
    const auto head = words(ls[0]);
    const auto name_col = std::find(head.begin(), head.end(), "NAME") - head.begin();
    REQUIRE(name_col < static_cast<long>(head.size()));
    std::map<std::string, std::string> name_of;  // tid -> NAME cell
    for (size_t i = 1; i < ls.size(); ++i) {
      const auto w = words(ls[i]);
      REQUIRE(w.size() > static_cast<size_t>(name_col));
      name_of[w[1]] = w[name_col];
    }
    CHECK(name_of[pid] == "named_threads");
    for (const json& t : facts["threads"]) CHECK(name_of[std::to_string(t["tid"].get<int>())] == t["name"]);
  }
}
