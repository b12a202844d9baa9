// ndjson_test.cpp: one NDJSON shape across subcommands: every object says what it is in `type`
// and whose it is in `pid`; the same thing has the same key and the same shape everywhere.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "../procfs/settle.h"
#include "../support/support.h"

using nlohmann::json;
using ts::test::lines;
using ts::test::run;
using ts::test::taskscope_bin;

namespace {

std::vector<json> objects(const std::vector<std::string>& args) {
  std::vector<std::string> argv{taskscope_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = run(argv);
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::vector<json> v;
  for (const std::string& l : lines(r.out)) v.push_back(json::parse(l));
  REQUIRE(!v.empty());
  return v;
}

// status_value() is a number from /proc/PID/task/TID/status.
uint64_t status_value(int pid, int tid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
  std::string k;
  uint64_t v = 0;
  while (f >> k)
    if (k == key + ":" && f >> v) return v;
  FAIL("no " << key << " in the status of " << tid);
  return 0;
}

}  // namespace

TEST_CASE("every NDJSON object names its type in `type` and its process in `pid`", "[ndjson]") {
  ts::test::Fixture fx("named_threads", {"2"});
  ts::test::Fixture goro("goro_gmp_target");
  const int pid = fx.pid();
  const std::string p = std::to_string(pid), g = std::to_string(goro.pid());
  const std::map<std::string, std::vector<std::string>> runs = {
      {"ps", {"ps", "--json", "-p", p}},
      {"ps -L", {"ps", "-L", "--json", "-p", p}},
      {"threads", {"threads", "--json", p}},
      {"maps", {"maps", "--json", p}},
      {"gmp", {"gmp", "--json", g}},
      {"stack", {"stack", "--json", p}},
      {"stack goro", {"stack", "--json", g}},
  };
  std::map<std::string, std::set<std::string>> types;
  for (const auto& [name, args] : runs) {
    const int want_pid = name == "gmp" || name == "stack goro" ? goro.pid() : pid;
    for (const json& o : objects(args)) {
      INFO(name << ": " << o.dump());
      REQUIRE(o.contains("type"));
      REQUIRE(o["type"].is_string());
      types[name].insert(o["type"].get<std::string>());
      CHECK(o["pid"] == want_pid);
      CHECK_FALSE(o.contains("event"));
    }
  }
  CHECK(types["ps"] == std::set<std::string>{"process"});
  CHECK(types["ps -L"] == std::set<std::string>{"thread"});
  CHECK(types["threads"] == std::set<std::string>{"thread"});
  CHECK(types["maps"] == std::set<std::string>{"segment", "summary"});
  CHECK(types["gmp"] == std::set<std::string>{"sched", "p", "m", "g"});
  CHECK(types["stack"] == std::set<std::string>{"thread", "end"});
  CHECK(types["stack goro"] == std::set<std::string>{"thread", "goroutine", "end"});
}

TEST_CASE("bench objects name their type in `type` and carry no pid: they describe kinds of units", "[ndjson][bench]") {
  // The one exception to "every object has a pid": a bench row is what a process, a thread or a
  // goroutine costs, not a running process; `kind` names the unit.
  const std::vector<json> objs = objects({"bench", "--quick", "--json", "--only", "goro"});
  REQUIRE(objs.size() == 2);
  CHECK(objs[0]["type"] == "bench_env");
  CHECK(objs[1]["type"] == "bench_row");
  CHECK(objs[1]["kind"] == "goro");
  for (const json& o : objs) CHECK_FALSE(o.contains("pid"));
}

TEST_CASE("a run-queue length is a number wherever gmp reports one", "[ndjson][gmp]") {
  ts::test::Fixture goro("goro_gmp_target");
  size_t seen = 0;
  for (const json& o : objects({"gmp", "--json", std::to_string(goro.pid())}))
    for (const char* key : {"runq", "runqueue"})
      if (o.contains(key)) {
        INFO(o.dump());
        CHECK(o[key].is_number_unsigned());
        ++seen;
      }
  CHECK(seen >= 3);  // the sched object's global queue and every P's
}

TEST_CASE("ps --json carries the numeric uid beside the user name, from either source", "[ndjson][ps]") {
  ts::test::Fixture fx("euid_nobody");
  const json facts = json::parse(fx.facts());
  for (const char* source : {"proc", "bpf"}) {
    INFO("source " << source);
    const auto r = run({taskscope_bin(), "ps", "-p", std::to_string(fx.pid()), "--json", "--source", source});
    if (std::string(source) == "bpf") TS_BPF_GATE(r.status == 0, r.err);
    REQUIRE(r.status == 0);
    const json o = json::parse(r.out);
    CHECK(o["uid"] == facts["euid"]);
    CHECK(o["user"].is_string());
  }
}

TEST_CASE("nvcsw is the voluntary count and nivcsw the involuntary one, in keys and sort keys", "[ndjson][ps]") {
  ts::test::Fixture fx("named_threads", {"3"});
  const int pid = fx.pid();
  REQUIRE(ts::test::wait_all_asleep(pid));
  for (const json& o : objects({"threads", "--json", std::to_string(pid)})) {
    const int tid = o["tid"];
    CHECK(o["nvcsw"] == status_value(pid, tid, "voluntary_ctxt_switches"));
    CHECK(o["nivcsw"] == status_value(pid, tid, "nonvoluntary_ctxt_switches"));
  }
  for (const char* key : {"nvcsw", "nivcsw"}) {
    INFO("--sort " << key);
    uint64_t prev = UINT64_MAX;
    size_t rows = 0;
    for (const json& o : objects({"ps", "-L", "--json", "--sort", key})) {
      CHECK(o[key].get<uint64_t>() <= prev);
      prev = o[key];
      ++rows;
    }
    CHECK(rows > 1);
  }
  CHECK(run({taskscope_bin(), "ps", "--sort", "vcsw"}).status == 2);
}
