// source_consistency_test.cpp: the BPF and /proc sources agree on a quiet fixture, and
// `taskscope ps --source=bpf` works end to end; the BPF source completed from /proc finds the
// groups the iterator does not return without listing /proc (a walk of every task) each time.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "../support/support.h"
#include "proc_peek.h"
#include "bpf/bpf_common.h"
#include "bpf/bpf_source.h"
#include "model/error.h"
#include "procfs/proc_ids.h"
#include "procfs/proc_source.h"
#include "sources/completed_source.h"
#include "sources/make_source.h"

using namespace ts;

namespace {

// bpf_source() returns a loaded BPF source (completed from /proc, as --source bpf is), or null
// with the reason in `why`.
std::unique_ptr<Source> bpf_source(std::string& why) {
  try {
    return make_source(SourceKind::Bpf);
  } catch (const Error& e) {
    why = e.what();
    return nullptr;
  }
}

std::map<int32_t, Task> tasks_of(const Snapshot& s, int32_t pid) {
  std::map<int32_t, Task> out;
  if (const Process* p = s.find(pid))
    for (const Task& t : p->tasks) out.emplace(t.tid, t);
  return out;
}

}  // namespace

TEST_CASE("BPF and /proc sources agree on a quiet fixture", "[bpf][consistency]") {
  std::string why;
  auto bpf = bpf_source(why);
  TS_BPF_GATE(bpf != nullptr, why);
  auto proc = make_proc_source();
  test::Fixture fx("bpf_quiet_threads", {"6"});
  const auto facts = nlohmann::json::parse(fx.facts());
  const int32_t pid = facts.at("pid").get<int32_t>();
  test::wait_sleeping(pid, pid);  // the main thread is on its way to read stdin

  Request req;
  req.pids = {pid};
  const Snapshot b = bpf->snapshot(req);
  const Snapshot p = proc->snapshot(req);
  CHECK(b.source == "bpf");
  CHECK(p.source == "proc");
  const auto bt = tasks_of(b, pid), pt = tasks_of(p, pid);
  REQUIRE(bt.size() == facts.at("threads").size() + 1);

  std::set<int32_t> btids, ptids;
  for (const auto& [tid, t] : bt) btids.insert(tid);
  for (const auto& [tid, t] : pt) ptids.insert(tid);
  CHECK(btids == ptids);

  const uint64_t tick = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  for (const auto& [tid, t] : bt) {
    auto it = pt.find(tid);
    REQUIRE(it != pt.end());
    const Task& q = it->second;
    INFO("tid " << tid << " comm " << t.comm);
    CHECK(t.comm == q.comm);
    CHECK(t.tgid == q.tgid);
    CHECK(t.ppid == q.ppid);
    CHECK(t.state == q.state);
    CHECK(t.nice == q.nice);
    CHECK(t.prio == q.prio);
    CHECK(t.policy == q.policy);
    CHECK(t.nvcsw == q.nvcsw);
    CHECK(t.nivcsw == q.nivcsw);
    // /proc counts in ticks and truncates: the exact value lies within a tick of it.
    CHECK(t.utime_ns + tick >= q.utime_ns);
    CHECK(t.utime_ns <= q.utime_ns + tick);
    CHECK(t.start_ns + tick >= q.start_ns);
    CHECK(t.start_ns <= q.start_ns + tick);
  }
  const Process* bp = b.find(pid);
  const Process* pp = p.find(pid);
  REQUIRE(bp != nullptr);
  REQUIRE(pp != nullptr);
  CHECK(bp->ppid == pp->ppid);
  CHECK(bp->uid == pp->uid);
  CHECK(bp->user == pp->user);
  CHECK(bp->comm == pp->comm);
  CHECK(bp->cmdline == pp->cmdline);
  CHECK(bp->nlwp == pp->nlwp);
  CHECK(bp->vsize_bytes == pp->vsize_bytes);
  CHECK(bp->utime_ns + 2 * tick >= pp->utime_ns);
  CHECK(bp->utime_ns <= pp->utime_ns + 2 * tick);
}

TEST_CASE("the BPF source shows pid 1 as /proc does, even where the kernel hides it from iterators", "[bpf][consistency]") {
  std::string why;
  auto src = bpf_source(why);
  TS_BPF_GATE(src != nullptr, why);
  auto proc = make_proc_source();
  for (bool by_pid : {false, true}) {
    INFO((by_pid ? "-p 1" : "full snapshot"));
    Request req;
    if (by_pid) req.pids = {1};
    req.fields = Field::Ids | Field::User | Field::Cmdline;
    const Snapshot b = src->snapshot(req);
    const Snapshot p = proc->snapshot(req);
    const Process* bp = b.find(1);
    const Process* pp = p.find(1);
    REQUIRE(pp != nullptr);
    REQUIRE(bp != nullptr);
    CHECK(bp->comm == pp->comm);
    CHECK(bp->ppid == pp->ppid);
    CHECK(bp->uid == pp->uid);
    CHECK(bp->cmdline == pp->cmdline);
    std::set<int32_t> btids, ptids;
    for (const Task& t : bp->tasks) btids.insert(t.tid);
    for (const Task& t : pp->tasks) ptids.insert(t.tid);
    CHECK(btids == ptids);  // init's threads do not come and go
    CHECK(std::is_sorted(b.processes.begin(), b.processes.end(),
                         [](const Process& x, const Process& y) { return x.pid < y.pid; }));
  }
  // Every thread group /proc lists was in the last full snapshot, read one way or the other.
  Request all;
  const Snapshot b = src->snapshot(all);
  const Snapshot p = proc->snapshot(all);
  size_t missing = 0;
  for (const Process& q : p.processes)
    if (!b.find(q.pid) && kill(q.pid, 0) == 0) ++missing;  // still alive, yet absent
  CHECK(missing == 0);
}

TEST_CASE("make_source picks BPF for --source=bpf and auto when privileged", "[bpf][consistency]") {
  std::string why;
  auto probe = bpf_source(why);
  TS_BPF_GATE(probe != nullptr, why);
  CHECK(make_source(SourceKind::Bpf)->name() == "bpf");
  std::string note = "stale";
  CHECK(make_source(SourceKind::Auto, &note)->name() == "bpf");
  CHECK(note.empty());
  CHECK(make_source(SourceKind::Proc)->name() == "proc");
}

TEST_CASE("taskscope ps --source=bpf --json lists a fixture's threads", "[bpf][consistency][cli]") {
  std::string why;
  auto probe = bpf_source(why);
  TS_BPF_GATE(probe != nullptr, why);
  test::Fixture fx("bpf_quiet_threads", {"3"});
  const auto facts = nlohmann::json::parse(fx.facts());
  const std::string pid = std::to_string(facts.at("pid").get<int32_t>());
  test::wait_sleeping(facts.at("pid").get<int32_t>(), facts.at("pid").get<int32_t>());
  const test::RunResult r = test::run({test::taskscope_bin(), "ps", "--source=bpf", "-L", "-p", pid, "--json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::set<int32_t> tids;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    CHECK(std::to_string(j.at("pid").get<int32_t>()) == pid);
    CHECK(j.at("state").get<std::string>() == "S");
    tids.insert(j.at("tid").get<int32_t>());
  }
  CHECK(tids.size() == facts.at("threads").size() + 1);
  for (const auto& th : facts.at("threads")) CHECK(tids.count(th.at("tid").get<int32_t>()) == 1);

  const test::RunResult missing = test::run({test::taskscope_bin(), "ps", "--source=bpf", "-p", "4194304"});
  CHECK(missing.status == 1);
  CHECK(missing.err.find("4194304") != std::string::npos);
}

TEST_CASE("--source=bpf without privileges fails in one line; auto falls back to /proc", "[bpf][consistency][cli]") {
  if (getuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
    WARN("SKIPPED: needs root and setpriv(1) to drop privileges");
    return;
  }
  const std::vector<std::string> drop{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                      "--inh-caps=-all", "--bounding-set=-all"};
  auto as_nobody = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = drop;
    argv.push_back(test::taskscope_bin());
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv);
  };
  const std::string me = std::to_string(getpid());
  const test::RunResult bpf = as_nobody({"ps", "--source=bpf", "-p", me});
  CHECK(bpf.status == 1);
  CHECK(bpf.out.empty());
  CHECK(bpf.err.find("CAP_BPF") != std::string::npos);
  CHECK(std::count(bpf.err.begin(), bpf.err.end(), '\n') == 1);
  const test::RunResult autos = as_nobody({"ps", "--source=auto", "-p", me, "--json"});
  CHECK(autos.status == 0);
  CHECK(autos.out.find("\"pid\":" + me) != std::string::npos);
  CHECK(autos.err.empty());  // /proc is what auto means for an unprivileged user: nothing to say
}

TEST_CASE("the BPF fallbacks still give whole command lines, and ps says on stderr what they could not read",
          "[bpf][consistency][cli][notes]") {
  std::string why;
  auto probe = bpf_source(why);
  TS_BPF_GATE(probe != nullptr, why);
  test::Fixture fx("bpf_quiet_threads", {"1", "an argument"});
  const int32_t pid = nlohmann::json::parse(fx.facts()).at("pid").get<int32_t>();
  const std::string want = test::fixture_path("bpf_quiet_threads") + " 1 an argument";
  // variant: what TASKSCOPE_TASK_ITER leaves out; note: whether ps must say RSS is approximate.
  for (const auto& [variant, note] : {std::pair{"", false}, {"plain", false}, {"approx", true}, {"plain,approx", true}}) {
    INFO("TASKSCOPE_TASK_ITER=" << variant);
    if (*variant) setenv("TASKSCOPE_TASK_ITER", variant, 1);
    const test::RunResult r = test::run({test::taskscope_bin(), "ps", "--source=bpf", "-p", std::to_string(pid), "--json"});
    const test::RunResult threads = test::run({test::taskscope_bin(), "threads", std::to_string(pid)});
    unsetenv("TASKSCOPE_TASK_ITER");
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(nlohmann::json::parse(r.out).at("cmd") == want);  // from /proc when the kernel did not copy it
    if (note) {
      CHECK(r.err.rfind("taskscope: RSS is the kernel's central count", 0) == 0);
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    } else {
      CHECK(r.err.empty());
    }
    CHECK(threads.err.empty());  // threads shows no RSS: nothing to say
  }
}

TEST_CASE("ps --source=bpf and trace work with CAP_BPF and CAP_PERFMON alone, as the man page promises",
          "[bpf][consistency][cli][caps]") {
  std::string why;
  auto probe = bpf_source(why);
  TS_BPF_GATE(probe != nullptr, why);
  if (getuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
    WARN("SKIPPED: needs root and setpriv(1) to run as nobody with two capabilities");
    return;
  }
  // nobody, with CAP_BPF and CAP_PERFMON in its ambient set: the only privileges the exec'd
  // taskscope has (no CAP_SYS_ADMIN, so libbpf may not list the modules' BTF).
  auto as_nobody = [](std::vector<std::string> args) {
    std::vector<std::string> argv{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  "--inh-caps=-all,+bpf,+perfmon", "--ambient-caps=+bpf,+perfmon", test::taskscope_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv);
  };
  test::Fixture fx("bpf_quiet_threads", {"2"});
  const auto facts = nlohmann::json::parse(fx.facts());
  const int32_t pid = facts.at("pid").get<int32_t>();
  const test::RunResult r = as_nobody({"ps", "--source=bpf", "-L", "-p", std::to_string(pid), "--json"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  std::set<int32_t> tids;
  for (const std::string& l : test::lines(r.out)) tids.insert(nlohmann::json::parse(l).at("tid").get<int32_t>());
  CHECK(tids.size() == facts.at("threads").size() + 1);
  CHECK(tids.count(pid) == 1);
  const test::RunResult t = as_nobody({"trace", "exit", "100ms"});
  INFO(t.err);
  CHECK(t.status == 0);
}

TEST_CASE("as root where BPF will not load, auto says so in one line and uses /proc", "[bpf][consistency][cli]") {
  if (getuid() != 0) {
    WARN("SKIPPED: needs root (the note is for privileged users whose BPF fails to load)");
    return;
  }
  // deny_bpf makes bpf(2) fail with EPERM, as a locked-down kernel or a seccomp profile would.
  auto denied = [](std::vector<std::string> args) {
    std::vector<std::string> argv{test::fixture_path("deny_bpf"), test::taskscope_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv);
  };
  const std::string me = std::to_string(getpid());
  for (const char* json : {"", "--json"}) {
    INFO("flags: " << json);
    std::vector<std::string> args{"ps", "--source=auto", "-p", me};
    if (*json) args.push_back(json);
    const test::RunResult r = denied(args);
    CHECK(r.status == 0);
    CHECK(r.out.find(me) != std::string::npos);
    CHECK(r.err.rfind("taskscope: BPF source unavailable (", 0) == 0);
    CHECK(r.err.find("); using /proc\n") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    if (*json) CHECK(nlohmann::json::parse(r.out).at("pid").get<int32_t>() == getpid());  // stdout stays pure NDJSON
  }
  const test::RunResult bpf = denied({"ps", "--source=bpf", "-p", me});
  CHECK(bpf.status == 1);
  CHECK(bpf.out.empty());
  CHECK(bpf.err.rfind("taskscope: --source bpf: ", 0) == 0);
  CHECK(std::count(bpf.err.begin(), bpf.err.end(), '\n') == 1);
  const test::RunResult threads = denied({"threads", me});
  CHECK(threads.status == 0);
  CHECK(threads.err.rfind("taskscope: BPF source unavailable (", 0) == 0);
}

TEST_CASE("both sources name every kernel thread as /proc does, past comm's 15 bytes", "[bpf][consistency][kthread]") {
  std::string why;
  auto bpf = bpf_source(why);
  TS_BPF_GATE(bpf != nullptr, why);
  auto proc = make_proc_source();
  Request req;
  req.fields = static_cast<Fields>(Field::Ids);
  // A workqueue worker's name moves with its work ("kworker/0:1-events" while idle after events
  // work, "+events" while it runs one): a name counts as agreed when the BPF source's matches
  // /proc's just before or just after it. Those that moved between are read again.
  std::map<int32_t, std::string> unsettled;
  size_t kthreads = 0, long_names = 0;
  for (int round = 0; round < 5; ++round) {
    const Snapshot before = proc->snapshot(req);
    const Snapshot b = bpf->snapshot(req);
    const Snapshot after = proc->snapshot(req);
    std::map<int32_t, std::string> now;
    for (const Process& p : b.processes) {
      if (!p.kthread || (round > 0 && !unsettled.count(p.pid))) continue;
      const Process* x = before.find(p.pid);
      const Process* y = after.find(p.pid);
      if (!x || !y) continue;  // came or went meanwhile
      if (round == 0) {
        ++kthreads;
        if (x->comm.size() > 15) ++long_names;
      }
      if (p.comm != x->comm && p.comm != y->comm) now[p.pid] = p.comm + " (proc: " + x->comm + ", then " + y->comm + ")";
    }
    unsettled = std::move(now);
    if (unsettled.empty()) break;
  }
  INFO(kthreads << " kernel threads, " << long_names << " with names longer than 15 bytes");
  for (const auto& [pid, what] : unsettled) CHECK(std::to_string(pid) + " " + what == "");
  CHECK(unsettled.empty());
  CHECK(kthreads > 0);
}

TEST_CASE("CompletedBpfSource lists /proc only when the task count says something new is hidden", "[bpf][consistency]") {
  std::string why;
  auto src = bpf_source(why);
  TS_BPF_GATE(src != nullptr, why);
  auto* completed = dynamic_cast<CompletedBpfSource*>(src.get());
  REQUIRE(completed);
  Request req;
  req.fields = static_cast<Fields>(Field::Ids);
  constexpr int kSnapshots = 200;
  for (int i = 0; i < kSnapshots; ++i) {
    const Snapshot s = src->snapshot(req);
    INFO("snapshot " << i);
    REQUIRE(s.find(1));  // init, whether the kernel hides it from iterators or not
    REQUIRE(s.find(getpid()));
  }
  // The first snapshot lists; later ones only when a task came or went between the iterator's
  // pass and the count (microseconds apart), never all of them.
  CHECK(completed->listings() >= 1);
  CHECK(completed->listings() < kSnapshots / 2);

  // A zombie child (exited, not reaped) is a task the iterator may not return: the count
  // changes, so the next snapshot lists /proc and finds it either way.
  const pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(child > 0);
  siginfo_t info{};
  REQUIRE(waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT) == 0);  // a zombie now
  const Snapshot s = src->snapshot(req);
  const std::vector<int32_t> in_proc = procfs::proc_tgids();
  CHECK(std::binary_search(in_proc.begin(), in_proc.end(), child));
  CHECK(s.find(child) != nullptr);
  waitpid(child, nullptr, 0);
}

namespace {

// cmdline_of() is the command line snapshot `s` has for `pid` ("?" when it has no such process).
std::string cmdline_of(const Snapshot& s, int32_t pid) {
  const Process* p = s.find(pid);
  return p ? p->cmdline : "?";
}

}  // namespace

TEST_CASE("argv_once: a command line is read once per process, again after an exec, a new one from /proc",
          "[bpf][consistency]") {
  std::string why;
  std::unique_ptr<Source> src;
  try {
    src = make_source(SourceKind::Bpf, nullptr, SourceUse::Repeating);
  } catch (const Error& e) {
    why = e.what();
  }
  TS_BPF_GATE(src != nullptr, why);
  auto* completed = dynamic_cast<CompletedBpfSource*>(src.get());
  REQUIRE(completed);
  Request req;
  req.fields = kAllFields & ~static_cast<Fields>(Field::Layout);  // the recorder's
  req.argv_once = true;
  // A shell that execs sleep once a line arrives on its stdin: same pid, new address space.
  int in[2];
  REQUIRE(pipe(in) == 0);
  const pid_t sh = test::spawn({"sh", "-c", "read x; exec sleep 3031.5"}, in[0], -1, -1, {in[1]});
  close(in[0]);
  const std::string sh_line = "sh -c read x; exec sleep 3031.5";
  Snapshot s;
  for (int i = 0; i < 100 && cmdline_of(s, sh) != sh_line; ++i) {  // until the shell has its own argv
    usleep(20'000);
    s = src->snapshot(req);
  }
  CHECK(cmdline_of(s, sh) == sh_line);
  CHECK(cmdline_of(s, getpid()) != "");
  const uint64_t walks = completed->bpf().argv_walks();
  CHECK(walks >= 1);

  const pid_t fresh = test::spawn({"sleep", "3032.5"}, -1, -1, -1);
  s = src->snapshot(req);
  for (int i = 0; i < 100 && cmdline_of(s, fresh) != "sleep 3032.5"; ++i) {  // until it has exec'd
    usleep(20'000);
    s = src->snapshot(req);
  }
  CHECK(cmdline_of(s, fresh) == "sleep 3032.5");  // new: read from /proc
  CHECK(cmdline_of(s, sh) == sh_line);                      // kept

  REQUIRE(write(in[1], "\n", 1) == 1);
  for (int i = 0; i < 100 && cmdline_of(s, sh) != "sleep 3031.5"; ++i) {
    usleep(20'000);
    s = src->snapshot(req);
  }
  CHECK(cmdline_of(s, sh) == "sleep 3031.5");  // the exec: read again
  // Passes after the first copied no argv in the kernel (unless a burst of new processes came).
  const Snapshot again = src->snapshot(req);
  CHECK(completed->bpf().argv_walks() < walks + 3);
  CHECK(cmdline_of(again, fresh) == "sleep 3032.5");

  // Without argv_once every pass copies argv.
  req.argv_once = false;
  const uint64_t before = completed->bpf().argv_walks();
  for (int i = 0; i < 3; ++i) src->snapshot(req);
  CHECK(completed->bpf().argv_walks() == before + 3);

  close(in[1]);
  kill(sh, SIGKILL), kill(fresh, SIGKILL);
  waitpid(sh, nullptr, 0), waitpid(fresh, nullptr, 0);
}

TEST_CASE("argv_once: an exec is seen even where the new image maps where the old one did (ASLR off, same binary)",
          "[bpf][consistency]") {
  std::string why;
  std::unique_ptr<Source> src;
  try {
    setenv("TASKSCOPE_BPF_WALK", "on", 1);  // the walk at once (the iterator copies argv every pass)
    src = make_source(SourceKind::Bpf, nullptr, SourceUse::Repeating);
  } catch (const Error& e) {
    why = e.what();
  }
  unsetenv("TASKSCOPE_BPF_WALK");
  TS_BPF_GATE(src != nullptr, why);
  Request req;
  req.fields = kAllFields & ~static_cast<Fields>(Field::Layout);  // the recorder's
  req.argv_once = true;
  // Without address randomisation, sh exec'ing sh with an argv of the same length gets the same
  // code and stack addresses: the address space alone does not tell the exec.
  int in[2];
  REQUIRE(pipe(in) == 0);
  const std::string before = "read x; exec sh -c \"$B\"", after = "read y; exec sleep 3034";
  REQUIRE(before.size() == after.size());
  const pid_t sh = test::spawn({"env", "B=" + after, "setarch", "-R", "sh", "-c", before}, in[0], -1, -1, {in[1]});
  close(in[0]);
  Snapshot s;
  for (int i = 0; i < 100 && cmdline_of(s, sh) != "sh -c " + before; ++i) {
    usleep(20'000);
    s = src->snapshot(req);
  }
  REQUIRE(cmdline_of(s, sh) == "sh -c " + before);
  const uint64_t stack = test::stat_field(sh, sh, 28), code = test::stat_field(sh, sh, 27);
  REQUIRE(write(in[1], "\n", 1) == 1);
  for (int i = 0; i < 100 && test::proc_cmdline(sh) != "sh" + std::string(1, '\0') + "-c" + std::string(1, '\0') + after + std::string(1, '\0'); ++i)
    usleep(20'000);
  s = src->snapshot(req);
  // The case this test is for: the new image's stack and code where the old one's were.
  CHECK(test::stat_field(sh, sh, 28) == stack);
  CHECK(test::stat_field(sh, sh, 27) == code);
  CHECK(cmdline_of(s, sh) == "sh -c " + after);
  close(in[1]);
  kill(sh, SIGKILL);
  waitpid(sh, nullptr, 0);
}
