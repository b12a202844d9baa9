// proc_files.cpp: /proc files kept open and read again from offset 0; a read that fails through a
// kept file closes its entry and opens the file once more by path.
#include "procfs/proc_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "procfs/proc_ids.h"
#include "procfs/proc_text.h"

namespace ts::procfs {

namespace {

const char* const kProcessFiles[] = {"status", "stat", "cmdline"};  // by ProcessFile
const char* const kTaskFiles[] = {"stat", "schedstat", "status"};    // by TaskFile

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// read_kept() reads with `read` through `fd`, which `open` opens when it is not open yet. When a
// file kept from an earlier pass cannot be read, its task has exited: `drop` closes its entry
// (`fd` with it) and the file is opened once more, which finds a new holder of the number if
// there is one. False when the file cannot be opened or read.
template <class Open, class Read, class Drop>
bool read_kept(int& fd, Open open, Read read, Drop drop) {
  const bool kept = fd >= 0;
  if (!kept) fd = open();
  if (fd < 0) return false;
  if (read(fd)) return true;
  drop();
  if (!kept) return false;
  fd = open();
  return fd >= 0 && read(fd);
}

// opener() opens /proc/PID/<f> by path.
auto opener(int32_t pid, ProcessFile f) {
  return [pid, f] {
    char path[40];
    std::snprintf(path, sizeof path, "/proc/%d/%s", pid, kProcessFiles[static_cast<size_t>(f)]);
    return open(path, O_RDONLY | O_CLOEXEC);
  };
}

}  // namespace

const char* task_file_name(TaskFile f) { return kTaskFiles[static_cast<size_t>(f)]; }

ProcFiles::~ProcFiles() {
  for (auto& [pid, g] : groups_) drop(g);
}

void ProcFiles::begin_pass() { ++pass_; }

void ProcFiles::end_pass() {
  for (auto it = groups_.begin(); it != groups_.end();) {
    Group& g = it->second;
    const bool empty = !g.dir && g.fd == std::array<int, 3>{-1, -1, -1};  // gone: nothing to keep
    if (g.pass != pass_ || !g.kept || empty) {
      drop(g);
      if (g.kept) --kept_groups_;
      it = groups_.erase(it);
      continue;
    }
    for (auto t = g.tasks.begin(); t != g.tasks.end();) {
      if (t->second.pass == pass_) {
        ++t;
        continue;
      }
      close_task(t->second);
      t = g.tasks.erase(t);
      --kept_tasks_;
    }
    ++it;
  }
}

ProcFiles::Group& ProcFiles::group(int32_t pid) {
  auto [it, fresh] = groups_.try_emplace(pid);
  Group& g = it->second;
  if (fresh && kept_groups_ < kMaxGroups) {
    g.kept = true;
    ++kept_groups_;
  }
  g.pass = pass_;
  return g;
}

void ProcFiles::drop(Group& g) {
  for (int& fd : g.fd) close_fd(fd);
  if (g.dir) closedir(g.dir);
  g.dir = nullptr;
  for (auto& [tid, t] : g.tasks) close_task(t);
  kept_tasks_ -= g.tasks.size();
  g.tasks.clear();
}

void ProcFiles::close_task(TaskEntry& t) {
  for (int& fd : t.fd) close_fd(fd);
}

ssize_t ProcFiles::read(int32_t pid, ProcessFile f, char* buf, size_t cap) {
  Group& g = group(pid);
  ssize_t n = -1;
  const auto rd = [&](int fd) { return (n = read_fd(fd, buf, cap)) >= 0; };
  return read_kept(g.fd[static_cast<size_t>(f)], opener(pid, f), rd, [&] { drop(g); }) ? n : -1;
}

bool ProcFiles::cmdline(int32_t pid, std::string& raw) {
  Group& g = group(pid);
  const auto rd = [&](int fd) { return read_cmdline_fd(fd, raw); };
  return read_kept(g.fd[static_cast<size_t>(ProcessFile::Cmdline)], opener(pid, ProcessFile::Cmdline), rd, [&] { drop(g); });
}

bool ProcFiles::task_ids(int32_t pid, std::vector<int32_t>& out) {
  Group& g = group(pid);
  if (g.dir) {  // listed again from its start (lseek to 0)
    rewinddir(g.dir);
    if (read_ids(g.dir, out)) return true;
    drop(g);  // the process has exited: by path once more
  }
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/task", pid);
  const int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  g.dir = fdopendir(fd);
  if (!g.dir) {
    close(fd);
    return false;
  }
  if (read_ids(g.dir, out)) return true;
  drop(g);
  return false;
}

ssize_t ProcFiles::read(int32_t pid, int32_t tid, TaskFile f, char* buf, size_t cap) {
  char path[64];
  auto at = groups_.find(pid);
  if (at == groups_.end() || !at->second.dir) {  // no task_ids() first: by path from /proc
    std::snprintf(path, sizeof path, "/proc/%d/task/%d/%s", pid, tid, task_file_name(f));
    return read_small(path, buf, cap);
  }
  Group& g = at->second;
  const int dir = dirfd(g.dir);
  std::snprintf(path, sizeof path, "%d/%s", tid, task_file_name(f));
  TaskEntry* t = nullptr;
  if (auto e = g.tasks.find(tid); e != g.tasks.end()) {
    t = &e->second;
  } else if (g.kept && kept_tasks_ < kMaxTasks) {
    t = &g.tasks[tid];
    ++kept_tasks_;
  }
  if (!t) return read_small_at(dir, path, buf, cap);  // beyond the bound: opened and closed
  t->pass = pass_;
  ssize_t n = -1;
  const auto open_at = [&] { return openat(dir, path, O_RDONLY | O_CLOEXEC); };
  const auto rd = [&](int fd) { return (n = read_fd(fd, buf, cap)) >= 0; };
  return read_kept(t->fd[static_cast<size_t>(f)], open_at, rd, [&] { close_task(*t); }) ? n : -1;
}

size_t ProcFiles::open_files() const {
  size_t n = 0;
  const auto count = [&n](const std::array<int, 3>& fds) {
    for (int fd : fds) n += fd >= 0;
  };
  for (const auto& [pid, g] : groups_) {
    count(g.fd);
    n += g.dir != nullptr;
    for (const auto& [tid, t] : g.tasks) count(t.fd);
  }
  return n;
}

}  // namespace ts::procfs
