// stack_go_test.cpp: `taskscope stack` on an unmodified Go program (tests/fixtures/go_stack_target,
// built by the go tool at test time): every goroutine parked in chan receive, select, sleep, mutex
// and a pipe read shows Go's wait reason and its frames down to the function that parked (the
// inlined call as Go prints it); the spinning one shows the LWP it runs on. Then the program's own
// SIGQUIT dump (GOTRACEBACK=all) is the reference: for every goroutine, id, wait reason and the
// functions of its frames must be what `stack` printed just before.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <algorithm>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "../support/stack_util.h"

using nlohmann::json;
using ts::test::Fixture;
using ts::test::functions;

namespace {

// GoDump is one goroutine of the runtime's own dump.
struct GoDump {
  std::string status;                 // the header's bracket up to the first ", " (wait reason or state)
  std::vector<std::string> functions; // each frame's function, args dropped
};

// parse_sigquit() reads the goroutine blocks of a Go traceback ("goroutine N [status, ...]:", then
// "func(args)" / "\tfile:line ..." pairs, then "created by F").
std::map<uint64_t, GoDump> parse_sigquit(const std::string& text) {
  std::map<uint64_t, GoDump> out;
  GoDump* cur = nullptr;
  for (const std::string& l : ts::test::lines(text)) {
    std::smatch m;
    if (std::regex_match(l, m, std::regex(R"(goroutine (\d+) \[([^\]]*)\]:)"))) {
      GoDump& g = out[std::stoull(m[1])];
      const std::string st = m[2];
      g.status = st.substr(0, st.find(", "));
      cur = &g;
    } else if (l.empty() || l[0] == '\t' || l.rfind("created by ", 0) == 0 || !cur) {
      if (l.empty()) cur = nullptr;
    } else if (const size_t paren = l.rfind('('); paren != std::string::npos && l.back() == ')') {
      cur->functions.push_back(l.substr(0, paren));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("stack: a Go program's goroutines, checked against its own SIGQUIT dump", "[stack][e2e][go]") {
  const int procs = GENERATE(1, 4);
  INFO("GOMAXPROCS " << procs);
  char tmpl[] = "/tmp/ts_gostack_XXXXXX";
  const int tfd = mkstemp(tmpl);
  REQUIRE(tfd >= 0);
  close(tfd);
  const std::string trace = tmpl;
  Fixture fx("go_stack_target", {"2", "procs=" + std::to_string(procs), "trace=" + trace});
  const json facts = json::parse(fx.facts());
  const int pid = facts["pid"];
  REQUIRE(facts["gomaxprocs"] == procs);

  const auto s = ts::test::stack_json(pid);
  const auto text = ts::test::run({ts::test::taskscope_bin(), "stack", std::to_string(pid)});
  INFO(s.r.out << s.r.err);
  REQUIRE(s.r.status == 0);
  REQUIRE(text.status == 0);
  CHECK(s.r.err.empty());
  CHECK(s.end["goroutines"].get<size_t>() == s.gs.size());

  // Each declared G: state, Go's wait reason, the parking function in its frames, down to goexit.
  std::set<uint64_t> declared{facts["main"].get<uint64_t>()};
  for (const json& k : facts["kinds"])
    for (const json& id : k["goids"]) {
      const uint64_t goid = id;
      declared.insert(goid);
      INFO(k["kind"] << " goroutine " << goid);
      REQUIRE(s.gs.count(goid));
      const json& g = s.gs.at(goid);
      const std::vector<std::string> fns = functions(g["frames"]);
      INFO(json(fns).dump());
      if (k["kind"] == "syscall") {
        CHECK(g["state"] == "syscall");
        CHECK(g["tid"].is_number());  // it keeps its M: the LWP blocked in read(2)
      } else {
        CHECK(g["state"] == "waiting");
        CHECK(g["wait_reason"] == k["reason"]);
      }
      CHECK(std::find(fns.begin(), fns.end(), k["function"].get<std::string>()) != fns.end());
      REQUIRE_FALSE(fns.empty());
      CHECK(fns.back() == "runtime.goexit");
      CHECK_FALSE(g.contains("note"));
      if (k["kind"] == "chan_receive") {
        // main.take is inlined into main.recvWorker: its own line, marked inline, above it.
        bool inlined = false;
        for (size_t i = 0; i + 1 < g["frames"].size(); ++i)
          inlined |= g["frames"][i]["function"] == facts["inlined"] && g["frames"][i]["inline"] == true &&
                     g["frames"][i + 1]["function"] == "main.recvWorker";
        CHECK(inlined);
      }
    }
  // The spinner: running on an LWP that is one of the dump's threads, or parked by a preemption.
  const json& spin = s.gs.at(facts["spinner"].get<uint64_t>());
  if (spin["state"] == "running") {
    REQUIRE(spin["tid"].is_number());
    CHECK(s.threads.count(spin["tid"].get<int>()));
    CHECK(spin["frames"].empty());
  }

  // The text is Go's traceback format.
  const uint64_t recv = facts["kinds"][0]["goids"][0];
  const size_t at = text.out.find("goroutine " + std::to_string(recv) + " [chan receive]:\n");
  REQUIRE(at != std::string::npos);
  const std::string block = text.out.substr(at, text.out.find("\n\n", at) - at);
  INFO(block);
  CHECK(std::regex_search(block, std::regex(R"(\nruntime\.gopark\(\.\.\.\)\n\t\S+/proc\.go:\d+ \+0x[0-9a-f]+\n)")));
  CHECK(std::regex_search(block, std::regex(R"(\nmain\.take\(\.\.\.\)\n\t\S+/go_stack_target/main\.go:\d+\n)")));
  CHECK(std::regex_search(block, std::regex(R"(\nmain\.recvWorker\(\.\.\.\)\n\t\S+/go_stack_target/main\.go:\d+ \+0x[0-9a-f]+\n)")));
  // Go 1.19 prints "created by F" (1.21+: "... in goroutine N").
  CHECK(std::regex_search(block, std::regex(R"(\ncreated by main\.main\.func1(| in goroutine \d+)\n\t\S+/go_stack_target/main\.go:\d+ \+0x[0-9a-f]+$)")));

  // The program's own dump, just after.
  REQUIRE(kill(pid, SIGQUIT) == 0);
  std::string dump;
  for (int i = 0; i < 1000; ++i) {  // up to 10 s: the runtime writes it and exits with status 2
    const auto st = ts::test::task_states(pid);
    if (st.empty() || st.begin()->second == 'Z') break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(fx.stop() == 2);
  std::getline(std::ifstream(trace), dump, '\0');  // the whole file
  unlink(trace.c_str());
  const std::map<uint64_t, GoDump> go = parse_sigquit(dump);
  INFO(dump);
  REQUIRE(go.size() >= declared.size());
  // Gs can change between the two reads. The bound: every G the fixture parked (and main, blocked
  // in read(2)) must match exactly; only the others (the spinner, the runtime's own Gs) may differ,
  // and they are counted.
  size_t changed = 0, others = 0;
  for (const auto& [goid, g] : go) {
    if (goid == 0) continue;  // the signalled M's g0, not a goroutine
    const bool must = declared.count(goid) > 0;
    others += !must;
    INFO("goroutine " << goid << " [" << g.status << "]: " << json(g.functions).dump());
    if (!s.gs.count(goid)) {
      CHECK_FALSE(must);
      ++changed;
      continue;
    }
    const json& ours = s.gs.at(goid);
    const std::string status = ours["wait_reason"].get<std::string>().empty() ? ours["state"].get<std::string>()
                                                                              : ours["wait_reason"].get<std::string>();
    const bool same = status == g.status && functions(ours["frames"]) == g.functions;
    if (must) {
      CHECK(status == g.status);
      CHECK(functions(ours["frames"]) == g.functions);
    }
    changed += !same;
  }
  CHECK(changed <= others);
  if (changed) WARN(changed << " of " << others << " unparked goroutines changed between stack and SIGQUIT");
}

TEST_CASE("stack: a Go binary without symbols and DWARF: one line, the LWP stacks still printed", "[stack][e2e][go]") {
  Fixture fx("go_stack_target_stripped", {"1"});
  const json facts = json::parse(fx.facts());
  const auto s = ts::test::stack_json(fx.pid());
  INFO(s.r.out << s.r.err);
  CHECK(s.r.status == 0);
  CHECK(s.gs.empty());
  CHECK(s.threads.size() >= 2);
  for (const auto& [tid, t] : s.threads) CHECK_FALSE(t["frames"].empty());
  REQUIRE(ts::test::lines(s.r.err).size() == 1);
  CHECK_THAT(s.r.err, Catch::StartsWith("taskscope: goroutines not shown: pid " + std::to_string(fx.pid())) &&
                          Catch::Contains("without symbols and DWARF") && Catch::Contains("LWP) stacks above are still shown"));
}

TEST_CASE("stack: a cgo program's Go frames keep their file:line (gcc's .debug_aranges cover only its C units)",
          "[stack][e2e][go]") {
  Fixture fx("go_cgo_target", {});
  const json facts = json::parse(fx.facts());
  const auto s = ts::test::stack_json(fx.pid());
  INFO(s.r.out << s.r.err);
  REQUIRE(s.r.status == 0);
  const uint64_t recv = facts["recv_goid"].get<uint64_t>(), in_c = facts["c_goid"].get<uint64_t>();
  REQUIRE(s.gs.count(recv) == 1);
  REQUIRE(s.gs.count(in_c) == 1);
  bool park = false;
  for (const json& f : s.gs.at(recv)["frames"])
    if (f["function"] == "main.parkRecv") {
      park = true;
      CHECK_THAT(f["file"].get<std::string>(), Catch::EndsWith("go_cgo_target/main.go"));
      CHECK(f["line"] == facts["recv_line"]);
    }
  CHECK(park);
  bool c_call = false;
  for (const json& f : s.gs.at(in_c)["frames"])
    if (f["function"] == "main.inC") {
      c_call = true;
      CHECK_THAT(f["file"].get<std::string>(), Catch::EndsWith("go_cgo_target/main.go"));
    }
  CHECK(c_call);
}
