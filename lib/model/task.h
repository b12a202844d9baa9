// task.h: Task, one kernel task_struct (an LWP), and Process, a thread group.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ts {

// SchedPolicy mirrors the kernel's SCHED_* values (sched(7)).
enum class SchedPolicy : int32_t { Other = 0, Fifo = 1, RR = 2, Batch = 3, Iso = 4, Idle = 5, Deadline = 6 };

// policy_name() returns ps's short name for a policy ("TS", "FF", "RR", "B", "ISO", "IDL", "DLN"), or "?".
const char* policy_name(SchedPolicy p);

// state_name() returns a word for a /proc state letter ('R' -> "running", 'S' -> "sleeping", ...).
const char* state_name(char state);

// Task is one kernel task (task_struct): Linux has no other kind of thread or process.
// Times are nanoseconds; memory is bytes. Fields a source was not asked for keep their defaults.
struct Task {
  int32_t tid = 0;            // kernel task id (the LWP id; equals tgid for the leader)
  int32_t tgid = 0;           // thread group id: the "process id" users see
  int32_t ppid = 0;           // parent's tgid
  std::string comm;           // task name, at most 15 bytes (may hold spaces and parentheses)
  bool kthread = false;       // a kernel thread (PF_KTHREAD): no user address space
  char state = '?';           // /proc letter: R S D T t Z X I P
  int32_t cpu = -1;           // CPU it last ran on
  uint64_t utime_ns = 0;      // CPU time in user mode
  uint64_t stime_ns = 0;      // CPU time in kernel mode
  uint64_t start_ns = 0;      // start time, nanoseconds since boot
  int32_t nice = 0;           // nice value, -20..19
  int32_t prio = 0;           // kernel priority as /proc/PID/stat shows it (nice+20, or -1-rtprio)
  int32_t rtprio = 0;         // real-time priority, 0 for normal tasks
  SchedPolicy policy = SchedPolicy::Other;
  uint64_t nvcsw = 0;         // voluntary context switches (the task blocked)
  uint64_t nivcsw = 0;        // involuntary context switches (the task was preempted)
  uint64_t run_delay_ns = 0;  // time spent waiting on a run queue (schedstats; 0 when unknown)
  uint64_t pcount = 0;        // times it ran on a CPU (schedstats; 0 when unknown)

  // is_leader() tells whether this task is its thread group's leader (tid == tgid).
  bool is_leader() const { return tid == tgid; }
};

// AddressLayout is where the kernel placed a process's segments (mm_struct fields).
struct AddressLayout {
  uint64_t start_code = 0, end_code = 0;    // text
  uint64_t start_data = 0, end_data = 0;    // initialised data
  uint64_t start_brk = 0, brk = 0;          // heap
  uint64_t start_stack = 0;                 // main thread's stack, at exec
};

// Process is a thread group: a container of Tasks sharing one address space.
struct Process {
  int32_t pid = 0;             // the tgid
  int32_t ppid = 0;            // parent's tgid
  uint32_t uid = 0;            // effective uid (whose rights the process uses), as ps shows
  std::string user;            // user name, or the uid as text when it has none
  std::string comm;            // leader's task name
  std::string cmdline;         // arguments joined by spaces; empty for kernel threads
  bool kthread = false;        // a kernel thread
  uint64_t rss_bytes = 0;      // resident set size
  uint64_t vsize_bytes = 0;    // virtual size
  int32_t nlwp = 0;            // number of threads the kernel reports
  uint64_t utime_ns = 0;       // group user CPU time, including threads that have exited
  uint64_t stime_ns = 0;       // group kernel CPU time, including threads that have exited
  AddressLayout layout;        // filled when Field::Layout is asked
  std::vector<Task> tasks;     // every live thread, leader first when present, then by tid

  // leader() returns the thread group leader, or nullptr when the tasks were not read or it has exited.
  const Task* leader() const;
  // total_nvcsw() sums voluntary switches over every thread (htop shows only the leader's).
  uint64_t total_nvcsw() const;
  // total_nivcsw() sums involuntary switches over every thread.
  uint64_t total_nivcsw() const;
  // total_cpu_ns() sums utime+stime over every thread.
  uint64_t total_cpu_ns() const;
  // sort_tasks() puts `tasks` in the model's order: the leader first when present, then by tid.
  // Every source calls it once its tasks are in.
  void sort_tasks();
};

}  // namespace ts
