// trace_bound_test.cpp: a trace's duration, and SIGINT, end the run on time even when the target
// records events faster than taskscope can print them (the ring buffer is never found empty).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "../support/support.h"
#include "bpf/bpf_common.h"
#include "trace_test_util.h"

using namespace ts;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// kBoundMs is how long after its duration (or SIGINT) a run may take to end in these tests: the
// tool aims at ~100 ms; the rest is slack for a loaded 2-core CI machine. Before the reads were
// bounded, the same runs took 4 s to several minutes (the ring was drained until empty, and a
// busy target never lets it be).
constexpr int kBoundMs = 1500;

// kGiveUpMs is when a test stops waiting for a run that does not end, and kills it.
constexpr int kGiveUpMs = 10000;

// pin() binds thread `tid` (0: the calling thread) to CPU `cpu`.
void pin(pid_t tid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(tid, sizeof set, &set);
}

// Load is the pingpong fixture passing a byte between two threads for ever, pinned to the last
// CPU, and a busy loop on CPU 0, where the tracer is started: the target records context switches
// faster than the tracer, with half a CPU, can print them.
class Load {
 public:
  Load() : fx_("pingpong", {"0"}) {
    const json facts = json::parse(fx_.facts());
    pid_ = facts["pid"];
    const int last = std::max(1, static_cast<int>(std::thread::hardware_concurrency())) - 1;
    pin(facts["ping_tid"].get<int>(), last);
    pin(facts["pong_tid"].get<int>(), last);
    kill(pid_, SIGUSR1);
    burner_ = std::thread([this] {
      pin(0, 0);
      while (!stop_.load(std::memory_order_relaxed)) {
      }
    });
  }
  ~Load() {
    stop_ = true;
    burner_.join();
  }
  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  int pid() const { return pid_; }

  // start() runs taskscope with `args` on CPU 0, beside the busy loop.
  std::unique_ptr<test::Spawned> start(const std::vector<std::string>& args) {
    cpu_set_t saved;
    sched_getaffinity(0, sizeof saved, &saved);
    pin(0, 0);  // the child inherits it
    std::vector<std::string> argv{test::taskscope_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto t = std::make_unique<test::Spawned>(argv);
    sched_setaffinity(0, sizeof saved, &saved);
    t->out_limit = 1 << 20;  // a run that does not end floods its output: keep its tail
    return t;
  }

 private:
  test::Fixture fx_;
  int pid_ = 0;
  std::atomic<bool> stop_{false};
  std::thread burner_;
};

// end_line() is the NDJSON end object of a trace's output (null when there is none).
json end_line(const std::string& out) {
  const auto ls = test::lines(out);
  if (ls.empty()) return nullptr;
  const json j = json::parse(ls.back(), nullptr, false);
  return j.is_object() && j.value("type", "") == "end" ? j : json(nullptr);
}

bool tracing(const std::string&, const std::string& err) { return err.find("Tracing") != std::string::npos; }

}  // namespace

TEST_CASE("trace sched 200ms ends within the bound of its duration under a load it cannot keep up with",
          "[trace][bpf][bound]") {
  const bpf::Support s = bpf::probe_support();
  TS_BPF_GATE(s.usable, s.why);
  Load load;
  auto t = load.start({"trace", "sched", "-p", std::to_string(load.pid()), "--json", "200ms"});
  // The duration counts from when the programs are attached, which "Tracing ..." announces.
  REQUIRE(t->read_until(tracing, 30000));
  const auto started = Clock::now();
  const bool ended = !t->read_for(200 + kGiveUpMs);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  if (!ended) kill(t->pid(), SIGKILL);
  const int status = t->wait();
  INFO("ended " << took << " ms after it started tracing; stderr: " << t->err);
  CHECK(took <= 200 + kBoundMs);
  CHECK(status == 0);
  const json end = end_line(t->out);
  REQUIRE(end.is_object());
  CHECK(end["events"].get<uint64_t>() > 0);
  // What could not be printed in time is counted, not dropped silently.
  REQUIRE(end.contains("unread"));
  CHECK(end["events"].get<uint64_t>() == t->out_lines - 1);
}

TEST_CASE("trace sched ends within the bound of SIGINT under a load it cannot keep up with", "[trace][bpf][bound]") {
  const bpf::Support s = bpf::probe_support();
  TS_BPF_GATE(s.usable, s.why);
  Load load;
  auto t = load.start({"trace", "sched", "-p", std::to_string(load.pid()), "--json"});
  REQUIRE(t->read_until(tracing, 30000));
  t->read_for(300);  // let the ring fill
  const auto sent = Clock::now();
  REQUIRE(kill(t->pid(), SIGINT) == 0);
  const bool ended = !t->read_for(kGiveUpMs);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent).count();
  if (!ended) kill(t->pid(), SIGKILL);
  const int status = t->wait();
  INFO("ended " << took << " ms after SIGINT");
  CHECK(took <= kBoundMs);
  CHECK(status == 0);
  const json end = end_line(t->out);
  REQUIRE(end.is_object());
  CHECK(end.contains("lost"));
  CHECK(end.contains("unread"));
}
