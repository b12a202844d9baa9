// event.h: Event, one thing the kernel did to a task as it happened: a clone, an exec, an exit or
// a context switch. Plain data, no I/O; the BPF event stream (lib/bpf) makes them.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace ts {

// EventHeader is what every event carries: when (monotonic ns since boot, the clock of
// CLOCK_MONOTONIC and task start times) and on which CPU.
struct EventHeader {
  uint64_t ts_ns = 0;
  int32_t cpu = -1;
};

// CloneEvent: a task created a new task (fork, vfork, pthread_create, clone, kernel thread).
struct CloneEvent {
  EventHeader hdr;
  int32_t parent_pid = 0;     // the creator's tgid
  int32_t parent_tid = 0;     // the creating thread
  std::string parent_comm;
  int32_t child_pid = 0;      // the new task's tgid (== parent_pid for a thread)
  int32_t child_tid = 0;      // the new task's id
  uint64_t flags = 0;         // clone flags as the kernel saw them (CSIGNAL bits may be stripped)
  int32_t exit_signal = 0;    // signal the parent gets when the child dies (-1/0 for threads)
  bool kernel_thread = false; // the new task is a kernel thread (PF_KTHREAD)
};

// ExecEvent: a task replaced its program with execve().
struct ExecEvent {
  EventHeader hdr;
  int32_t pid = 0;             // tgid after exec
  int32_t tid = 0;             // tid after exec (== pid: exec makes the caller the leader)
  int32_t old_tid = 0;         // the thread that called execve; != tid when a non-leader exec'd; 0 when
                               // unknown (a non-leader in a child pid namespace: its old id is gone)
  std::string comm;            // the new name
  std::string filename;        // the path execve opened
  std::vector<std::string> argv;
  bool argv_truncated = false; // the arguments were longer than the tracer copies
};

// ExitEvent: a task (thread) exited; `group_dead` when it was its process's last thread.
struct ExitEvent {
  EventHeader hdr;
  int32_t pid = 0;
  int32_t tid = 0;
  std::string comm;
  bool group_dead = false;
  uint32_t raw_code = 0;       // task->exit_code: (status << 8) | signal | 0x80 when core dumped
  uint64_t lifetime_ns = 0;    // from the task's start to its exit
  uint64_t cpu_ns = 0;         // CPU time this thread used (se.sum_exec_runtime)

  // signal() is the signal that killed the task, 0 when it exited normally.
  int signal() const { return static_cast<int>(raw_code & 0x7f); }
  // status() is the exit status passed to exit(), meaningful when signal() is 0.
  int status() const { return static_cast<int>((raw_code >> 8) & 0xff); }
  // core_dumped() tells whether a core was dumped.
  bool core_dumped() const { return (raw_code & 0x80) != 0; }
};

// SwitchEvent: a CPU switched from task prev to task next. Idle is tid 0 ("swapper/N").
struct SwitchEvent {
  EventHeader hdr;
  int32_t prev_pid = 0, prev_tid = 0;
  std::string prev_comm;
  uint32_t prev_state = 0;     // prev's state bits: 0 = still runnable
  bool voluntary = false;      // prev blocked (nvcsw); otherwise it was preempted (nivcsw)
  uint64_t prev_oncpu_ns = 0;  // how long prev ran; 0 = unknown (switched in before tracing)
  int32_t next_pid = 0, next_tid = 0;
  std::string next_comm;
  uint64_t next_offcpu_ns = 0; // how long next was off CPU; 0 = unknown
};

// Event is one of the above.
using Event = std::variant<CloneEvent, ExecEvent, ExitEvent, SwitchEvent>;

// Log2Hist counts values in power-of-two buckets: slot i holds [2^i, 2^(i+1)) (slot 0 also holds 0).
struct Log2Hist {
  std::vector<uint64_t> slots;

  // total() is the number of values counted.
  uint64_t total() const;
};

// ThreadSchedStats is one thread's switches over a traced interval (`trace sched --summary`).
struct ThreadSchedStats {
  int32_t pid = 0;
  int32_t tid = 0;
  std::string comm;
  uint64_t nvcsw = 0;       // voluntary switches: out because it blocked (as Task::nvcsw)
  uint64_t nivcsw = 0;      // involuntary switches: out because it was preempted (as Task::nivcsw)
  Log2Hist oncpu;           // ns on CPU per run
  Log2Hist offcpu;          // ns off CPU per pause
  Log2Hist runq;            // ns from wakeup (or preemption) to running
};

}  // namespace ts
