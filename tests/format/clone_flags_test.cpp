// clone_flags_test.cpp: clone flag names and the verdicts shown to learners.
#include <sched.h>
#include <signal.h>

#include <catch2/catch.hpp>

#include "format/clone_flags.h"

using namespace ts;

namespace {

// What glibc 2.36 passes for fork(), pthread_create() and vfork() (strace shows the same).
constexpr uint64_t kFork = CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID;
constexpr uint64_t kPthread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                              CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
constexpr uint64_t kVfork = CLONE_VM | CLONE_VFORK;

}  // namespace

TEST_CASE("clone flags are named in bit order, against the values of <sched.h>", "[clone_flags]") {
  CHECK(clone_flag_names(kFork) == std::vector<std::string>{"CLONE_CHILD_CLEARTID", "CLONE_CHILD_SETTID"});
  CHECK(clone_flags_text(kPthread) ==
        "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|"
        "CLONE_CHILD_CLEARTID");
  CHECK(clone_flags_text(0) == "0");
  // Each name maps back to libc's value for it.
  const std::pair<uint64_t, const char*> known[] = {
      {CLONE_PIDFD, "CLONE_PIDFD"},     {CLONE_PTRACE, "CLONE_PTRACE"},   {CLONE_PARENT, "CLONE_PARENT"},
      {CLONE_NEWNS, "CLONE_NEWNS"},     {CLONE_UNTRACED, "CLONE_UNTRACED"}, {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
      {CLONE_NEWUTS, "CLONE_NEWUTS"},   {CLONE_NEWIPC, "CLONE_NEWIPC"},   {CLONE_NEWUSER, "CLONE_NEWUSER"},
      {CLONE_NEWPID, "CLONE_NEWPID"},   {CLONE_NEWNET, "CLONE_NEWNET"},   {CLONE_IO, "CLONE_IO"},
      {CLONE_DETACHED, "CLONE_DETACHED"}, {CLONE_NEWTIME, "CLONE_NEWTIME"},
  };
  for (const auto& [bit, name] : known) CHECK(clone_flags_text(bit) == name);
}

TEST_CASE("clone3's upper flags have names, and unknown bits show as hex", "[clone_flags]") {
  CHECK(clone_flags_text(0x100000000ull) == "CLONE_CLEAR_SIGHAND");
  CHECK(clone_flags_text(0x200000000ull) == "CLONE_INTO_CGROUP");
  CHECK(clone_flags_text(0x400000000ull | CLONE_VM) == "CLONE_VM|0x400000000");
}

TEST_CASE("the verdict says what a clone made", "[clone_flags]") {
  CHECK(clone_verdict(kFork, false) == "process");
  CHECK(clone_verdict(kPthread, false) == "thread");
  CHECK(clone_verdict(kVfork, false) == "vfork");
  CHECK(clone_verdict(CLONE_NEWUTS, false) == "process in new namespaces");
  CHECK(clone_verdict(CLONE_NEWTIME, false) == "process in new namespaces");
  CHECK(clone_verdict(CLONE_VM, false) == "process sharing memory");
  CHECK(clone_verdict(CLONE_VM | CLONE_UNTRACED, true) == "kernel thread");
  // an io_uring worker: a thread of the user process, even though the kernel made it
  CHECK(clone_verdict(kPthread | CLONE_IO | CLONE_UNTRACED, false) == "thread");
}

TEST_CASE("signals are named as kill -l does, with SIG", "[clone_flags]") {
  CHECK(signal_name(SIGCHLD) == "SIGCHLD");
  CHECK(signal_name(SIGTERM) == "SIGTERM");
  CHECK(signal_name(0) == "none");
  CHECK(signal_name(-1) == "none");
  CHECK(signal_name(SIGRTMAX + 5) == "SIG" + std::to_string(SIGRTMAX + 5));
}
