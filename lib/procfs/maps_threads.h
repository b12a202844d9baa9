// maps_threads.h: where each thread's stack pointer is, from /proc/PID/task/TID/syscall.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ts {

// ThreadSp is one thread's user stack pointer while it sleeps in (or enters) a syscall.
struct ThreadSp {
  int32_t tid = 0;
  uint64_t sp = 0;
};

// ThreadSps is what could be learnt about every thread of a process.
struct ThreadSps {
  std::vector<ThreadSp> found;   // threads whose sp was read
  std::vector<int32_t> running;  // threads on a CPU when read: the kernel shows no sp for them
  std::vector<int32_t> denied;   // threads whose syscall file needs root or CAP_SYS_PTRACE
};

// parse_syscall_sp() reads the stack pointer from /proc/PID/task/TID/syscall text:
// "NR a1 a2 a3 a4 a5 a6 SP PC" in a syscall, "-1 SP PC" when blocked outside one.
// Returns nullopt for "running" or malformed text.
std::optional<uint64_t> parse_syscall_sp(std::string_view text);

// task_tids() lists /proc/PID/task in ascending order; empty when the process is gone or unreadable.
std::vector<int32_t> task_tids(pid_t pid);

// read_thread_sps() reads the syscall file of every thread of pid. Threads that exit meanwhile, or
// have exited (a zombie main thread shows sp 0), are dropped quietly; a running thread is retried a few times before it is listed in `running`.
ThreadSps read_thread_sps(pid_t pid);

}  // namespace ts
