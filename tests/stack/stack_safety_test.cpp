// stack_safety_test.cpp: `taskscope stack` never leaves its target stopped: killed with SIGKILL in
// the middle of a capture of 1000 threads, no thread of the target stays stopped or traced; a
// process stopped by job control stays stopped, a running one keeps running; threads that come
// and go during the dump are dropped with a note.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "../support/stack_util.h"

using nlohmann::json;
using ts::test::Fixture;
using namespace std::chrono_literals;

namespace {

// tracer_of() is the TracerPid of pid's thread tid (0 when untraced or gone).
int tracer_of(int pid, int tid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("TracerPid:", 0) == 0) return std::atoi(line.c_str() + 10);
  return 0;
}

// settle() waits (up to 2 s) until no thread of pid is stopped or traced, and returns what is
// still stopped or traced then (empty when all run free).
std::vector<std::string> settle(int pid) {
  std::vector<std::string> left = ts::test::traced_or_stopped(pid);
  for (int i = 0; i < 200 && !left.empty(); ++i) {
    std::this_thread::sleep_for(10ms);
    left = ts::test::traced_or_stopped(pid);
  }
  return left;
}

// wait_until() polls `cond` every millisecond for up to 5 s.
template <class F>
bool wait_until(F cond) {
  for (int i = 0; i < 5000; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return cond();
}

// has_function() tells whether any frame of a thread object is `fn`.
bool has_function(const json& t, const std::string& fn) {
  for (const json& f : t["frames"])
    if (f["function"].is_string() && ts::test::bare(f["function"]) == fn) return true;
  return false;
}

}  // namespace

TEST_CASE("stack: SIGKILLed mid-capture, it leaves no thread of a 1000-thread target stopped", "[stack][e2e][kill]") {
  Fixture fx("stack_many", {"1000", "2"});
  const int pid = fx.pid();
  std::vector<int> tids;
  for (const auto& [tid, state] : ts::test::task_states(pid)) tids.push_back(tid);
  REQUIRE(tids.size() == 1004);
  // How long one run takes here: default-mode kills land at random points inside it.
  const auto t0 = std::chrono::steady_clock::now();
  const auto whole = ts::test::stack_json(pid);
  const auto run_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(whole.r.status == 0);
  REQUIRE(whole.threads.size() == 1004);
  REQUIRE(settle(pid).empty());

  std::mt19937 rng(std::random_device{}());
  int caught = 0;
  for (int round = 0; round < 12; ++round) {
    // Even rounds: --consistent, which holds every thread at once; the kill comes once a thread
    // is seen traced (the freeze is under way), after a random extra delay. Odd rounds: the
    // default mode, killed at a random point of its run.
    const bool consistent = round % 2 == 0;
    std::vector<std::string> argv{ts::test::taskscope_bin(), "stack", std::to_string(pid), "--json"};
    if (consistent) argv.push_back("--consistent");
    const pid_t tool = ts::test::start_quiet(argv);
    int st = 0;
    bool exited = false;
    if (consistent) {
      const int watch = tids[std::uniform_int_distribution<size_t>(0, tids.size() - 1)(rng)];
      while (!exited && tracer_of(pid, watch) != tool) exited = waitpid(tool, &st, WNOHANG) == tool;
      if (!exited) {
        ++caught;
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(rng)));
      }
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<long>(0, run_us)(rng)));
    }
    kill(tool, SIGKILL);
    if (!exited) REQUIRE(waitpid(tool, &st, 0) == tool);
    INFO("round " << round << (consistent ? " (--consistent)" : ""));
    CHECK(settle(pid) == std::vector<std::string>{});
  }
  // The kills really came mid-capture: the watched thread was seen traced by the killed tool.
  CHECK(caught >= 3);
  // The target works on: every thread wakes and joins.
  CHECK(fx.stop() == 0);
}

TEST_CASE("stack: a job-control-stopped target stays stopped, a running one keeps running", "[stack][e2e]") {
  const std::string mode = GENERATE(std::string(), std::string("--consistent"));
  INFO("mode " << (mode.empty() ? "default" : mode));
  Fixture fx("stack_chain");
  const json facts = json::parse(fx.facts());
  const int pid = fx.pid();
  const int blocker = facts["threads"][0]["tid"], spinner = facts["threads"][1]["tid"];
  const std::vector<std::string> args = mode.empty() ? std::vector<std::string>{} : std::vector<std::string>{mode};

  REQUIRE(kill(pid, SIGSTOP) == 0);
  REQUIRE(wait_until([&] { return ts::test::all_stopped(pid); }));
  const auto s = ts::test::stack_json(pid, args);
  INFO(s.r.out << s.r.err);
  REQUIRE(s.r.status == 0);
  CHECK(s.end["job_stopped"] == true);
  CHECK(s.end["longest_stop_ns"] == 0);  // nothing was stopped by us: it was stopped already
  REQUIRE(s.threads.size() == 3);
  for (const auto& [tid, t] : s.threads) {
    CHECK(t["state"] == "T");
    CHECK(t["capture"] == "frozen");
  }
  CHECK(has_function(s.threads.at(blocker), "chain_leaf"));
  CHECK(has_function(s.threads.at(spinner), "spin_leaf"));
  // Still stopped, and by no one but job control: no tracer left.
  std::this_thread::sleep_for(100ms);
  CHECK(ts::test::all_stopped(pid));
  for (const auto& [tid, state] : ts::test::task_states(pid)) CHECK(tracer_of(pid, tid) == 0);

  REQUIRE(kill(pid, SIGCONT) == 0);
  REQUIRE(wait_until([&] { return ts::test::traced_or_stopped(pid).empty(); }));
  const auto r = ts::test::stack_json(pid, args);
  INFO(r.r.out << r.r.err);
  REQUIRE(r.r.status == 0);
  CHECK(r.end["job_stopped"] == false);
  CHECK(r.threads.at(spinner)["capture"] == "stopped");
  CHECK(r.threads.at(spinner)["stopped_ns"].get<uint64_t>() > 0);
  CHECK(has_function(r.threads.at(spinner), "spin_leaf"));
  CHECK(settle(pid) == std::vector<std::string>{});
  CHECK(ts::test::task_states(pid).at(spinner) == 'R');
}

TEST_CASE("stack: threads that start and exit during the dump", "[stack][e2e]") {
  // 50 parked threads and 2 threads that create and join short-lived threads without pause.
  Fixture fx("stack_many", {"50", "0", "2"});
  const int pid = fx.pid();
  for (int round = 0; round < 5; ++round) {
    const auto s = ts::test::stack_json(pid, round % 2 ? std::vector<std::string>{"--consistent"} : std::vector<std::string>{});
    INFO(s.r.out << s.r.err);
    REQUIRE(s.r.status == 0);
    REQUIRE(s.end.is_object());
    CHECK(s.threads.size() >= 54);  // the parked, the churners, the heartbeat, the leader
    size_t parked = 0;
    for (const auto& [tid, t] : s.threads) {
      // Every thread shown has frames or says why not.
      CHECK((t["frames"].size() > 0 || t.contains("note")));
      parked += t["name"] == "parked" && has_function(t, "park_leaf");
    }
    CHECK(parked == 50);
    // Each thread that vanished is a note on stderr ("LWP N exited during the dump").
    // (A stale goro segment another process left under a reused pid is a note of its own.)
    for (const json& n : s.end["notes"])
      if (n.get<std::string>().rfind("goroutines not shown: ", 0) != 0)
        CHECK_THAT(n.get<std::string>(), Catch::Matches("LWP \\d+ exited during the dump"));
    CHECK(settle(pid) == std::vector<std::string>{});
  }
  CHECK(fx.stop() == 0);
}
