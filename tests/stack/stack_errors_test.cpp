// stack_errors_test.cpp: what `taskscope stack` says when it cannot dump: one line on stderr that
// names the pid and what to do, and exit status 1 (2 for usage) — no such pid, a thread id given as
// the pid, a zombie, a kernel thread (whose kernel stack is still shown), and ptrace not permitted.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "../support/stack_util.h"

using nlohmann::json;
using ts::test::Fixture;
using ts::test::lines;
using ts::test::run;
using ts::test::taskscope_bin;

namespace {

// one_line() tells whether stderr is exactly one "taskscope: ..." line.
bool one_line(const std::string& err) { return err.rfind("taskscope: ", 0) == 0 && lines(err).size() == 1; }

// exited_child() is a pid that existed a moment ago and no longer does (reaped).
pid_t exited_child() {
  const pid_t p = fork();
  if (p == 0) _exit(0);
  waitpid(p, nullptr, 0);
  return p;
}

}  // namespace

TEST_CASE("stack: no such pid, one line, exit 1", "[stack][e2e]") {
  const pid_t gone = exited_child();
  for (const char* json_flag : {"", "--json"}) {
    std::vector<std::string> argv{taskscope_bin(), "stack", std::to_string(gone)};
    if (*json_flag) argv.push_back(json_flag);
    const auto r = run(argv);
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(r.out.empty());
    CHECK(r.err == "taskscope: no process with pid " + std::to_string(gone) + "\n");
  }
  // Not a pid at all is a usage error (the one pid parser says so).
  const auto bad = run({taskscope_bin(), "stack", "12x"});
  CHECK(bad.status == 2);
  CHECK(one_line(bad.err));
}

TEST_CASE("stack: a thread id given as the pid names the process and -t", "[stack][e2e]") {
  Fixture fx("stack_chain");
  const int tid = json::parse(fx.facts())["threads"][0]["tid"];
  const auto r = run({taskscope_bin(), "stack", std::to_string(tid)});
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(one_line(r.err));
  CHECK_THAT(r.err, Catch::Contains("is a thread of pid " + std::to_string(fx.pid())) &&
                        Catch::Contains("-t " + std::to_string(tid)));
  // With -t it is dumped alone; a -t that is not one of the pid's threads is a note.
  const auto t = ts::test::stack_json(fx.pid(), {"-t", std::to_string(tid) + ",1"});
  INFO(t.r.out << t.r.err);
  CHECK(t.r.status == 0);
  CHECK(t.threads.size() == 1);
  CHECK(t.threads.count(tid) == 1);
  CHECK_THAT(t.r.err, Catch::Contains("LWP 1 is not a thread of pid " + std::to_string(fx.pid())));
}

TEST_CASE("stack: a zombie is named as one, with its parent, exit 1", "[stack][e2e]") {
  const pid_t z = fork();
  if (z == 0) _exit(0);
  // Not reaped yet: a zombie until waitpid below.
  bool zombie = false;
  for (int i = 0; i < 5000 && !zombie; ++i) {
    const auto st = ts::test::task_states(z);
    zombie = st.count(z) && st.at(z) == 'Z';
    if (!zombie) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(zombie);
  const auto r = run({taskscope_bin(), "stack", std::to_string(z)});
  waitpid(z, nullptr, 0);
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(one_line(r.err));
  CHECK_THAT(r.err, Catch::Contains("pid " + std::to_string(z) + " is a zombie") &&
                        Catch::Contains("(pid " + std::to_string(getpid()) + ")"));
}

TEST_CASE("stack: a kernel thread is named as one and its kernel stack shown, exit 1", "[stack][e2e]") {
  // kthreadd is pid 2 wherever the pid namespace is the host's.
  const auto st = ts::test::task_states(2);
  if (!st.count(2)) {
    WARN("SKIPPED: pid 2 is not visible (a pid namespace)");
    return;
  }
  const auto r = run({taskscope_bin(), "stack", "2"});
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK(one_line(r.err));
  CHECK_THAT(r.err, Catch::Contains("pid 2 is a kernel thread") && Catch::Contains("no user-space stack"));
  if (geteuid() == 0) CHECK_THAT(r.out, Catch::Contains("Kernel stack:") && Catch::Contains("kthreadd"));
}

TEST_CASE("stack: ptrace not permitted names CAP_SYS_PTRACE and Yama, exit 1", "[stack][e2e]") {
  if (geteuid() != 0) {
    WARN("SKIPPED: needs root, to run taskscope as another user");
    return;
  }
  Fixture fx("stack_chain");
  const auto r = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", taskscope_bin(), "stack",
                      std::to_string(fx.pid())});
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  CHECK(one_line(r.err));
  CHECK_THAT(r.err, Catch::Contains("cannot trace pid " + std::to_string(fx.pid())) &&
                        Catch::Contains("the kernel refused") && (Catch::Contains("EACCES") || Catch::Contains("EPERM")) &&
                        Catch::Contains("ptrace needs root or CAP_SYS_PTRACE"));
  // Yama is named only where it can be the reason.
  std::ifstream yama("/proc/sys/kernel/yama/ptrace_scope");
  std::string scope;
  if (yama >> scope && scope != "0") CHECK_THAT(r.err, Catch::Contains("ptrace_scope is " + scope));
  else CHECK_THAT(r.err, !Catch::Contains("ptrace_scope"));
}

TEST_CASE("stack: refused as root says what the kernel said, not that root is needed", "[stack][e2e]") {
  // Where the kernel refuses even root (pid 1 of this VM holds a capability root's bounding set
  // lacks), the message must say so rather than ask for root.
  std::ifstream probe("/proc/1/task/1/syscall");
  std::string line;
  const bool refused = !std::getline(probe, line) && errno == EPERM;
  if (geteuid() != 0 || !refused) {
    WARN("SKIPPED: needs root and a pid 1 the kernel refuses to let root read");
    return;
  }
  const auto r = run({taskscope_bin(), "stack", "1"});
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(one_line(r.err));
  CHECK_THAT(r.err, Catch::Contains("cannot trace pid 1: the kernel refused reading /proc/1/task/1/syscall: EPERM") &&
                        Catch::Contains("although taskscope has CAP_SYS_PTRACE"));
  CHECK_THAT(r.err, !Catch::Contains("needs root"));
  std::ifstream yama("/proc/sys/kernel/yama/ptrace_scope");
  std::string scope;
  if (!(yama >> scope) || scope != "3") CHECK_THAT(r.err, !Catch::Contains("ptrace_scope"));
}
