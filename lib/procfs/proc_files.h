// proc_files.h: the /proc files of a few named processes and of their tasks, kept open across passes.
//
// A repeating reader of named processes (ProcSource's named path: the BPF source's hidden groups,
// every pass of the recorder, top and export) reads the same few dozen files each pass, and about
// half of what that cost was open() and close(): the path walk from /proc. ProcFiles keeps the
// files open and reads them again with pread(fd, .., 0): procfs files are generated afresh at
// offset 0. The task directory stays open too, and is listed again after a rewind; the tasks' own
// files are opened relative to it, never from /proc.
//
// An open /proc file belongs to its task's struct pid, not to its number: once the task is gone a
// read fails (ESRCH) and never shows a new task that reused the number. So a failed read through a
// kept file closes that entry (a process's: its files, its directory and its tasks') and reads once
// more by path, which finds the number's new holder if there is one. Nothing kept here is looked up
// by number alone past that; what is (SwitchCache) also compares the start time read through the
// kept stat.
//
// Bounds (the fds a reader keeps open): kMaxGroups processes with 4 files each (status, stat,
// cmdline, task directory) and kMaxTasks tasks over all of them with 3 each (stat, schedstat,
// status): at most 8*4 + 64*3 = 224 fds. A process beyond the first kMaxGroups, or a task beyond
// the first kMaxTasks, is read by path as before (its process's task directory still serves its
// openat()s); what is not named in a pass is closed at its end.
#pragma once
#include <dirent.h>
#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ts::procfs {

// ProcessFile is a file of /proc/PID that ProcFiles keeps.
enum class ProcessFile : uint8_t { Status, Stat, Cmdline };

// TaskFile is a file of /proc/PID/task/TID that ProcFiles keeps.
enum class TaskFile : uint8_t { Stat, Schedstat, Status };

// task_file_name() is the file's name under /proc/PID/task/TID ("stat", "schedstat", "status").
const char* task_file_name(TaskFile f);

// ProcFiles keeps /proc files open across passes for one repeating reader; not thread-safe.
// Reads are bracketed by begin_pass() and end_pass(); a read outside a pass works but its files
// stay open until the end of the next pass.
class ProcFiles {
 public:
  // kMaxGroups is how many processes keep their files open; kMaxTasks how many tasks, over all.
  static constexpr size_t kMaxGroups = 8;
  static constexpr size_t kMaxTasks = 64;

  ProcFiles() = default;
  ~ProcFiles();
  ProcFiles(const ProcFiles&) = delete;
  ProcFiles& operator=(const ProcFiles&) = delete;

  // begin_pass() starts a pass.
  void begin_pass();

  // end_pass() closes the files of processes and tasks not read since begin_pass(), and those of
  // processes beyond the bound.
  void end_pass();

  // read() reads /proc/PID/<f> whole into `buf` (cut at `cap`) and returns its length, or -1 when
  // the process is gone.
  ssize_t read(int32_t pid, ProcessFile f, char* buf, size_t cap);

  // cmdline() reads /proc/PID/cmdline into `raw` as read_cmdline_fd() does (NUL-separated, at most
  // 64 KiB). False when the process is gone.
  bool cmdline(int32_t pid, std::string& raw);

  // task_ids() lists into `out`, sorted, the tasks of process `pid` (/proc/PID/task), and keeps
  // the directory for read(pid, tid, ...). False when the process is gone.
  bool task_ids(int32_t pid, std::vector<int32_t>& out);

  // read() reads /proc/PID/task/TID/<f> whole into `buf` (cut at `cap`) and returns its length, or
  // -1 when the task is gone. Call task_ids(pid, ...) first in the pass: its directory is used.
  ssize_t read(int32_t pid, int32_t tid, TaskFile f, char* buf, size_t cap);

  // open_files() is how many fds are kept open now (a task directory counts one).
  size_t open_files() const;

 private:
  struct TaskEntry {
    std::array<int, 3> fd{-1, -1, -1};  // by TaskFile
    uint32_t pass = 0;                  // last pass that read it
  };
  struct Group {
    std::array<int, 3> fd{-1, -1, -1};  // by ProcessFile
    DIR* dir = nullptr;                 // /proc/PID/task (owned)
    bool kept = false;                  // within kMaxGroups: outlives the pass
    uint32_t pass = 0;                  // last pass that read it
    std::map<int32_t, TaskEntry> tasks;  // kept tasks by tid (kept groups only)
  };

  Group& group(int32_t pid);
  void drop(Group& g);
  void close_task(TaskEntry& t);

  std::map<int32_t, Group> groups_;  // by pid
  size_t kept_groups_ = 0, kept_tasks_ = 0;
  uint32_t pass_ = 0;
};

}  // namespace ts::procfs
