// stack_syscall_test.cpp: the system call a thread's header names. A thread stopped (job control,
// or an earlier ptrace stop) while blocked in a timed sleep is resumed by the kernel through
// restart_syscall, which /proc then shows: the header must still name the call it waits in.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "../support/stack_util.h"

using ts::test::task_states;

namespace {

// syscall_nr() is the number /proc/PID/syscall starts with, -2 when unreadable or running.
long syscall_nr(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/syscall");
  long nr = -2;
  return in >> nr ? nr : -2;
}

// wait_until() polls cond every ms for up to 10 s.
template <class F>
bool wait_until(F cond) {
  for (int i = 0; i < 10000; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

}  // namespace

TEST_CASE("stack: a sleep resumed after a stop names clock_nanosleep, not restart_syscall", "[stack][e2e]") {
  const pid_t p = ts::test::start_quiet({"sleep", "1000"});
  REQUIRE(p > 0);
  REQUIRE(wait_until([p] { return syscall_nr(p) == 230; }));  // clock_nanosleep, through glibc
  kill(p, SIGSTOP);
  REQUIRE(wait_until([p] { return task_states(p)[p] == 'T'; }));
  kill(p, SIGCONT);
  REQUIRE(wait_until([p] { return task_states(p)[p] == 'S' && syscall_nr(p) >= 0; }));
  const long now = syscall_nr(p);
  const auto s = ts::test::stack_json(p);
  const auto text = ts::test::run({ts::test::taskscope_bin(), "stack", std::to_string(p)});
  kill(p, SIGKILL);
  waitpid(p, nullptr, 0);
  INFO(s.r.out << s.r.err);
  REQUIRE(now == 219);  // the kernel's restart_syscall: what /proc shows after the stop
  REQUIRE(s.r.status == 0);
  REQUIRE(s.threads.count(p));
  CHECK(s.threads.at(p)["syscall"] == "clock_nanosleep");
  CHECK(s.threads.at(p).value("syscall_restarted", false));
  CHECK_THAT(text.out, Catch::Contains(", in clock_nanosleep (restarted after a stop)]:"));
}
