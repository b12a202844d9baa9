// proc_text.h: parsers of our own for the /proc text libproc2 does not give us
// (context switches from status, the layout fields of stat), and a fast small-file read.
// Everything here treats its input as untrusted: it never reads past the text it is given.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ts::procfs {

// StatLine is /proc/PID/stat (or /proc/PID/task/TID/stat) as the kernel prints it (proc(5)).
// Times are clock ticks, rss is pages: the caller converts units.
struct StatLine {
  int32_t pid = 0;
  std::string comm;            // between the first '(' and the LAST ')': comm may hold both
  char state = '?';
  int32_t ppid = 0;
  uint64_t flags = 0;          // PF_* bits
  uint64_t utime = 0, stime = 0;
  int32_t priority = 0, nice = 0, num_threads = 0;
  uint64_t starttime = 0;
  uint64_t vsize = 0, rss = 0;
  uint64_t start_code = 0, end_code = 0, start_stack = 0;
  int32_t processor = -1;
  uint32_t rt_priority = 0, policy = 0;
  uint64_t start_data = 0, end_data = 0, start_brk = 0;  // 0 on kernels too old to print them
};

// parse_stat() parses one stat line into `out`. Returns false when the text is not a stat line
// (no "pid (comm) S" head, or fewer fields than the 41st, policy). Fields after policy are optional.
bool parse_stat(std::string_view text, StatLine& out);

// Switches is what /proc/PID/task/TID/status says about context switches.
struct Switches {
  uint64_t nvcsw = 0;         // voluntary_ctxt_switches
  uint64_t nivcsw = 0;        // nonvoluntary_ctxt_switches
  bool found = false;         // both lines were present
};

// parse_status_switches() finds the two context-switch lines in status text. Lines may be
// missing (found stays false and the counts that were missing stay 0); nothing else is parsed.
Switches parse_status_switches(std::string_view text);

// StatusProcess is what /proc/PID/status says of a process that its stat line does not.
struct StatusProcess {
  int32_t tgid = 0;        // Tgid: not the pid when PID is a thread's id
  uint32_t euid = 0;       // the second Uid: number, as ps shows
  uint64_t vm_rss_kb = 0;  // VmRSS: (none for a kernel thread or a zombie: 0)
};

// parse_status_process() reads the Tgid, Uid and VmRSS lines of status text into `out`. False
// when the Tgid or Uid line is missing or malformed (out is then left as it was).
bool parse_status_process(std::string_view text, StatusProcess& out);

// SchedStat is /proc/PID/task/TID/schedstat (CONFIG_SCHED_INFO): the task's sched_info.
struct SchedStat {
  uint64_t cpu_ns = 0;        // time on a CPU
  uint64_t run_delay_ns = 0;  // time runnable but waiting on a run queue
  uint64_t pcount = 0;        // times it ran on a CPU
};

// parse_schedstat() parses the three numbers of a schedstat line into `out`. False when the text
// does not start with three decimal numbers (out is then left as it was).
bool parse_schedstat(std::string_view text, SchedStat& out);

// read_small() reads the whole file at `path` into `buf` (one open, read until EOF or full,
// close) and returns the bytes read, or -1 when it cannot be opened or read (a vanished task).
// A file longer than `cap` is cut at `cap`.
ssize_t read_small(const char* path, char* buf, size_t cap);

// read_small_at() is read_small() of `path` relative to the directory `dirfd` (openat(2)), which
// spares the kernel the walk from /proc for every task of a process.
ssize_t read_small_at(int dirfd, const char* path, char* buf, size_t cap);

// read_fd() reads the file open at `fd` from its start (pread(2) from offset 0 on, so that a /proc
// file kept open is generated afresh) until EOF or `cap` bytes, and returns the bytes read, or -1
// when reading fails (ESRCH: the task the file belongs to has exited).
ssize_t read_fd(int fd, char* buf, size_t cap);

}  // namespace ts::procfs

namespace ts::procfs {

// tgid_of() returns the thread group of task `tid` from /proc/TID/status (a thread id is a
// hidden but valid /proc entry), or 0 when there is no such task.
int32_t tgid_of(int32_t tid);

// read_comm_at() reads task `tid`'s name, byte for byte, from "TID/comm" relative to `task_dirfd`
// (/proc/TGID/task), without the newline the kernel adds. False when it cannot (the task is gone).
bool read_comm_at(int task_dirfd, int32_t tid, std::string& out);

// read_cmdline() is /proc/PID/cmdline with its arguments joined by spaces (sys::join_argv), byte
// for byte: a newline or an escape in an argument stays what it is (libproc2's PIDS_CMDLINE_V
// turns a newline into a space). Empty when the process has no arguments (a kernel thread, a
// zombie) or is gone. Bounded: at most 64 KiB are read.
std::string read_cmdline(int32_t pid);

// read_cmdline_fd() reads /proc/PID/cmdline open at `fd` from its start into `raw`, NUL-separated
// as the kernel gives it (sys::join_argv() joins it), at most 64 KiB. False when reading fails
// (the process has exited); an empty `raw` with true is a process without arguments.
bool read_cmdline_fd(int fd, std::string& raw);

}  // namespace ts::procfs
