// trace_proc_test.cpp: clone/exec/exit tracing against clone_zoo, which reports what it will do.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <set>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../support/support.h"
#include "bpf/bpf_common.h"
#include "bpf/proc_tracer.h"
#include "format/clone_flags.h"
#include "model/error.h"
#include "trace_test_util.h"

using namespace ts;
using nlohmann::json;

namespace {

// ZooRun is what a tracer saw of one clone_zoo run.
struct ZooRun {
  json facts;
  int pid = 0;
  std::vector<CloneEvent> clones;
  std::vector<ExecEvent> execs;
  std::vector<ExitEvent> exits;
  uint64_t lost = 0;
};

// expected_children() is how many processes clone_zoo creates (see its header).
size_t expected_children(const json& facts) { return facts["newuts"].get<bool>() ? 5 : 4; }

size_t dead_children(const ZooRun& r) {
  size_t n = 0;
  for (const auto& e : r.exits) n += e.group_dead && e.pid != r.pid;
  return n;
}

// trace_zoo() runs clone_zoo under a ProcTracer; `gated_out` is set when BPF is unusable (after the gate).
void trace_zoo(ZooRun& run, bool& gated_out) {
  const bpf::Support s = bpf::probe_support();
  gated_out = true;
  TS_BPF_GATE(s.usable, s.why);
  test::Fixture zoo("clone_zoo");
  run.facts = json::parse(zoo.facts());
  run.pid = run.facts["pid"];
  std::unique_ptr<bpf::ProcTracer> tracer;
  try {
    tracer = std::make_unique<bpf::ProcTracer>(bpf::TraceFilter{run.pid, 0, ""}, bpf::ProcEvents{true, true, true});
  } catch (const ts::Error& e) {
    TS_BPF_GATE(false, e.what());
  }
  gated_out = false;
  REQUIRE(kill(run.pid, SIGUSR1) == 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const bpf::EventSink sink = [&](const Event& ev) {
    if (auto* c = std::get_if<CloneEvent>(&ev)) run.clones.push_back(*c);
    if (auto* e = std::get_if<ExecEvent>(&ev)) run.execs.push_back(*e);
    if (auto* x = std::get_if<ExitEvent>(&ev)) run.exits.push_back(*x);
  };
  while (dead_children(run) < expected_children(run.facts) && std::chrono::steady_clock::now() < deadline)
    tracer->drain(50, sink);
  tracer->drain(0, sink);
  run.lost = tracer->lost();
}

const CloneEvent* find_clone(const ZooRun& r, const std::string& verdict, int parent_pid) {
  for (const auto& c : r.clones)
    if (c.parent_pid == parent_pid && clone_verdict(c.flags, c.kernel_thread) == verdict) return &c;
  return nullptr;
}

bool has_flag(const CloneEvent& c, const char* name) {
  const auto names = clone_flag_names(c.flags);
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

TEST_CASE("trace clone/exec/exit: clone_zoo's fork, thread, vfork, namespaces, exec and exits", "[trace][bpf]") {
  ZooRun r;
  bool gated = false;
  trace_zoo(r, gated);
  if (gated) return;
  INFO("facts " << r.facts.dump());
  CHECK(r.lost == 0);
  REQUIRE(dead_children(r) == expected_children(r.facts));

  const CloneEvent* fork = find_clone(r, "process", r.pid);
  REQUIRE(fork);
  CHECK(fork->exit_signal == SIGCHLD);
  CHECK(fork->child_pid == fork->child_tid);
  CHECK(fork->child_pid != r.pid);
  CHECK_FALSE(has_flag(*fork, "CLONE_VM"));

  const CloneEvent* thread = find_clone(r, "thread", r.pid);
  REQUIRE(thread);
  CHECK(thread->child_pid == r.pid);
  CHECK(thread->child_tid != r.pid);
  for (const char* f : {"CLONE_VM", "CLONE_FS", "CLONE_FILES", "CLONE_SIGHAND", "CLONE_THREAD", "CLONE_SYSVSEM",
                        "CLONE_SETTLS", "CLONE_PARENT_SETTID", "CLONE_CHILD_CLEARTID"})
    CHECK(has_flag(*thread, f));
  CHECK(thread->exit_signal <= 0);

  const CloneEvent* vfork = find_clone(r, "vfork", r.pid);
  REQUIRE(vfork);
  CHECK(has_flag(*vfork, "CLONE_VM"));
  CHECK(has_flag(*vfork, "CLONE_VFORK"));

  if (r.facts["newuts"].get<bool>()) {
    const CloneEvent* ns = find_clone(r, "process in new namespaces", r.pid);
    REQUIRE(ns);
    CHECK(has_flag(*ns, "CLONE_NEWUTS"));
    CHECK(ns->exit_signal == SIGCHLD);
  }
  for (const auto& c : r.clones) CHECK_FALSE(c.kernel_thread);

  // exec: the vfork child, then a non-leader thread of another child (its old tid differs).
  const std::string path = r.facts["exec_path"];
  const ExecEvent* vexec = nullptr;
  const ExecEvent* texec = nullptr;
  for (const auto& e : r.execs) {
    CHECK(e.filename == path);
    if (e.argv.size() == 2 && e.argv[1] == r.facts["exec_arg"]) vexec = &e;
    if (e.argv.size() == 2 && e.argv[1] == r.facts["thread_exec_arg"]) texec = &e;
  }
  REQUIRE(vexec);
  CHECK(vexec->pid == vfork->child_pid);
  CHECK(vexec->old_tid == vexec->tid);
  CHECK(vexec->argv[0] == "true");
  REQUIRE(texec);
  CHECK(texec->old_tid != texec->tid);
  CHECK(texec->tid == texec->pid);

  // exit: the fork child's code, the killed child's signal, the pthread as a thread exit.
  const int code = r.facts["fork_exit_code"], sig = r.facts["kill_signal"];
  bool saw_code = false, saw_signal = false, saw_thread = false;
  for (const auto& e : r.exits) {
    if (e.pid == fork->child_pid) {
      CHECK(e.group_dead);
      CHECK(e.signal() == 0);
      CHECK(e.status() == code);
      saw_code = true;
    }
    if (e.group_dead && e.signal() == sig) {
      CHECK_FALSE(e.core_dumped());
      saw_signal = true;
    }
    if (e.tid == thread->child_tid) {
      CHECK_FALSE(e.group_dead);
      CHECK(e.status() == 0);
      saw_thread = true;
    }
    CHECK(e.lifetime_ns > 0);
    CHECK(e.lifetime_ns < 60'000'000'000ull);
  }
  CHECK(saw_code);
  CHECK(saw_signal);
  CHECK(saw_thread);
}

TEST_CASE("the raw_tp fallback loads and reports the same exit", "[trace][bpf]") {
  const bpf::Support s = bpf::probe_support();
  TS_BPF_GATE(s.usable, s.why);
  setenv("TASKSCOPE_TRACE_ATTACH", "raw_tp", 1);
  std::unique_ptr<bpf::ProcTracer> tracer;
  try {
    tracer = std::make_unique<bpf::ProcTracer>(bpf::TraceFilter{getpid(), 0, ""}, bpf::ProcEvents{true, false, true});
  } catch (const ts::Error& e) {
    unsetenv("TASKSCOPE_TRACE_ATTACH");
    TS_BPF_GATE(false, e.what());
  }
  unsetenv("TASKSCOPE_TRACE_ATTACH");
  CHECK(tracer->attach_kind() == bpf::AttachKind::RawTp);
  const pid_t child = fork();
  if (child == 0) _exit(3);
  REQUIRE(child > 0);
  waitpid(child, nullptr, 0);
  bool saw_clone = false, saw_exit = false;
  for (int i = 0; i < 100 && !(saw_clone && saw_exit); ++i)
    tracer->drain(50, [&](const Event& ev) {
      if (auto* c = std::get_if<CloneEvent>(&ev); c && c->child_pid == child) saw_clone = true;
      if (auto* x = std::get_if<ExitEvent>(&ev); x && x->pid == child) {
        CHECK(x->status() == 3);
        saw_exit = true;
      }
    });
  CHECK(saw_clone);
  CHECK(saw_exit);
  CHECK(tracer->lost() == 0);
}

TEST_CASE("taskscope trace clone --json with a duration reports clone_zoo's clones", "[trace][bpf][cli]") {
  const bpf::Support s = bpf::probe_support();
  TS_BPF_GATE(s.usable, s.why);
  test::Fixture zoo("clone_zoo");
  const json facts = json::parse(zoo.facts());
  const int pid = facts["pid"];
  test::Spawned t({test::taskscope_bin(), "trace", "clone", "-p", std::to_string(pid), "--json", "3s"});
  const bool attached = t.read_until([](auto&, const std::string& err) { return err.find("Tracing") != std::string::npos
                                                                               || err.find("taskscope:") != std::string::npos; },
                                     20000);
  REQUIRE(attached);
  TS_BPF_GATE(t.err.find("taskscope:") == std::string::npos, t.err);
  REQUIRE(kill(pid, SIGUSR1) == 0);
  REQUIRE(t.wait() == 0);
  std::vector<json> lines;
  size_t start = 0;
  for (size_t nl; (nl = t.out.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(json::parse(t.out.substr(start, nl - start)));
  REQUIRE(!lines.empty());
  const json end = lines.back();
  CHECK(end["type"] == "end");
  CHECK(end["lost"] == 0);
  std::set<std::string> verdicts;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    CHECK(lines[i]["type"] == "clone");
    if (lines[i]["pid"] == pid) verdicts.insert(lines[i]["verdict"].get<std::string>());
  }
  CHECK(verdicts.count("process"));
  CHECK(verdicts.count("thread"));
  CHECK(verdicts.count("vfork"));
  if (facts["newuts"].get<bool>()) CHECK(verdicts.count("process in new namespaces"));
  CHECK(end["events"] == lines.size() - 1);
}

TEST_CASE("taskscope trace exit ends cleanly on SIGTERM with the lost count", "[trace][bpf][cli]") {
  const bpf::Support s = bpf::probe_support();
  TS_BPF_GATE(s.usable, s.why);
  test::Fixture zoo("clone_zoo");
  const json facts = json::parse(zoo.facts());
  const int pid = facts["pid"];
  test::Spawned t({test::taskscope_bin(), "trace", "exit", "-p", std::to_string(pid)});
  REQUIRE(t.read_until([](auto&, const std::string& err) { return !err.empty(); }, 20000));
  TS_BPF_GATE(t.err.find("taskscope:") == std::string::npos, t.err);
  REQUIRE(kill(pid, SIGUSR1) == 0);
  const std::string code = "exit " + std::to_string(facts["fork_exit_code"].get<int>());
  const std::string sig = "signal " + signal_name(facts["kill_signal"].get<int>());
  // Wait for the killed child: it is the fourth or fifth child to end, after the exit-code one.
  CHECK(t.read_until([&](const std::string& out, auto&) { return out.find(sig) != std::string::npos; }, 20000));
  REQUIRE(kill(t.pid(), SIGTERM) == 0);
  CHECK(t.wait() == 0);
  CHECK(t.out.find(code) != std::string::npos);
  CHECK(t.out.find(" 0 lost") != std::string::npos);
  CHECK(t.out.rfind("# ", std::string::npos) != std::string::npos);
}
