// trace_test_util.h: what the BPF trace tests share: a child process whose output is read while
// it runs, and /proc context switch counters. Header-only: the Makefile links tests/**/*_test.cpp.
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace ts::test {

// Spawned is a program running with its stdout and stderr on pipes we read as it goes.
class Spawned {
 public:
  // Spawned() starts argv (argv[0] is a path); stdin is /dev/null. Throws std::runtime_error.
  explicit Spawned(const std::vector<std::string>& argv);
  // ~Spawned() kills the program if it still runs, and reaps it.
  ~Spawned();
  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;

  // pid() is its pid.
  pid_t pid() const { return pid_; }
  // read_until() reads both pipes until `done(out, err)` is true, EOF, or `timeout_ms`; returns done's last value.
  template <class Done>
  bool read_until(Done done, int timeout_ms);
  // read_for() reads both pipes for up to `timeout_ms` of wall time; false once both are at EOF.
  bool read_for(int timeout_ms);
  // wait() reads to EOF and returns the exit status (128+signal when killed).
  int wait();

  std::string out, err;  // everything read so far (of stdout, the last out_limit bytes when set)
  size_t out_limit = 0;   // when > 0, `out` keeps only its last out_limit bytes (a flood of output)
  size_t out_lines = 0;   // newlines read from stdout, all of them

 private:
  bool pump(int timeout_ms);  // one poll round; false at EOF on both pipes
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  int status_ = -1;
};

template <class Done>
bool Spawned::read_until(Done done, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 50) {
    if (done(out, err)) return true;
    if (!pump(50)) break;
  }
  return done(out, err);
}

// CtxSwitches is a thread's voluntary and involuntary switch counts from /proc/PID/task/TID/status.
struct CtxSwitches {
  uint64_t voluntary = 0, involuntary = 0;
};

// read_ctx_switches() reads them; throws std::runtime_error when the thread is gone.
CtxSwitches read_ctx_switches(pid_t pid, pid_t tid);

// wait_for_file() waits up to `timeout_ms` for `path` to exist.
bool wait_for_file(const std::string& path, int timeout_ms);



inline Spawned::Spawned(const std::vector<std::string>& argv) {
  int o[2], e[2];
  if (pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC)) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, o[1], 1);
  posix_spawn_file_actions_adddup2(&fa, e[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(o[1]);
  close(e[1]);
  out_fd_ = o[0];
  err_fd_ = e[0];
  if (rc != 0) {
    close(out_fd_);
    close(err_fd_);
    throw std::runtime_error("cannot start " + argv[0]);
  }
}

inline bool Spawned::pump(int timeout_ms) {
  struct pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (out_fd_ < 0 && err_fd_ < 0) return false;
  if (poll(fds, 2, timeout_ms) <= 0) return true;
  char buf[65536];
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    const ssize_t n = read(fds[i].fd, buf, sizeof buf);
    if (n > 0) {
      (i ? err : out).append(buf, static_cast<size_t>(n));
      if (i == 0) {
        out_lines += static_cast<size_t>(std::count(buf, buf + n, '\n'));
        if (out_limit && out.size() > 2 * out_limit) out.erase(0, out.size() - out_limit);
      }
    } else {
      close(fds[i].fd);
      (i ? err_fd_ : out_fd_) = -1;
    }
  }
  return out_fd_ >= 0 || err_fd_ >= 0;
}

inline bool Spawned::read_for(int timeout_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < until)
    if (!pump(50)) return false;
  return true;
}

inline int Spawned::wait() {
  while (pump(1000)) {
  }
  if (pid_ > 0) {
    int st = 0;
    waitpid(pid_, &st, 0);
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
    pid_ = -1;
  }
  return status_;
}

inline Spawned::~Spawned() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

inline CtxSwitches read_ctx_switches(pid_t pid, pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
  if (!in) throw std::runtime_error("thread " + std::to_string(tid) + " is gone");
  CtxSwitches c;
  std::string key;
  uint64_t value = 0;
  while (in >> key) {
    if (key == "voluntary_ctxt_switches:" && in >> value) c.voluntary = value;
    else if (key == "nonvoluntary_ctxt_switches:" && in >> value) c.involuntary = value;
  }
  return c;
}

inline bool wait_for_file(const std::string& path, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    if (access(path.c_str(), F_OK) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return access(path.c_str(), F_OK) == 0;
}

}  // namespace ts::test
