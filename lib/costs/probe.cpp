// probe.cpp: forking and exec'ing measuring children, and the pipes they report through.
#include "costs/probe.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "model/error.h"

extern char** environ;

namespace ts::costs {

namespace {

// write_all() writes every byte or returns false.
bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
  }
  return true;
}

struct Pipes {
  int report[2] = {-1, -1};   // child writes [1], parent reads [0]
  int control[2] = {-1, -1};  // parent writes [1], child reads [0]
};

Pipes make_pipes() {
  Pipes p;
  if (pipe2(p.report, O_CLOEXEC) != 0 || pipe2(p.control, O_CLOEXEC) != 0)
    throw Error(std::string("bench: cannot create a pipe: ") + strerror(errno));
  return p;
}

int status_of(int ws) { return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws); }

}  // namespace

void ProbeIo::report(const nlohmann::json& j) const {
  const std::string line = j.dump() + "\n";
  write_all(report_fd_, line.data(), line.size());
}

bool ProbeIo::wait_go() const {
  char c;
  for (;;) {
    const ssize_t r = read(control_fd_, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    return r == 1;
  }
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

bool pin_self(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

Probe Probe::adopt(pid_t pid, const int report[2], const int control[2]) {
  close(report[1]);
  close(control[0]);
  Probe pr;
  pr.pid_ = pid;
  pr.report_fd_ = report[0];
  pr.control_fd_ = control[1];
  return pr;
}

Probe Probe::fork_fn(const std::vector<int>& cpus, std::function<int(ProbeIo&)> fn) {
  Pipes p = make_pipes();
  const pid_t pid = fork();
  if (pid < 0) throw Error(std::string("bench: fork failed: ") + strerror(errno));
  if (pid == 0) {
    close(p.report[0]);
    close(p.control[1]);
    if (!cpus.empty() && !pin_self(cpus)) _exit(126);
    ProbeIo io(p.report[1], p.control[0]);
    int rc = 127;
    try {
      rc = fn(io);
    } catch (const std::exception& e) {
      io.report({{"error", e.what()}});
    }
    _exit(rc);  // never the parent's atexit handlers or its buffered output
  }
  return adopt(pid, p.report, p.control);
}

Probe Probe::exec(const std::vector<int>& cpus, const std::vector<std::string>& argv,
                  const std::vector<std::string>& env) {
  // Everything the child needs is built before fork: it only calls async-signal-safe functions.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  envp.push_back(nullptr);
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);

  Pipes p = make_pipes();
  const pid_t pid = fork();
  if (pid < 0) throw Error(std::string("bench: fork failed: ") + strerror(errno));
  if (pid == 0) {
    if (dup2(p.control[0], 0) < 0 || dup2(p.report[1], 1) < 0) _exit(126);
    if (!cpus.empty() && sched_setaffinity(0, sizeof set, &set) != 0) _exit(126);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  return adopt(pid, p.report, p.control);
}

Probe::Probe(Probe&& o) noexcept
    : pid_(o.pid_), report_fd_(o.report_fd_), control_fd_(o.control_fd_), buf_(std::move(o.buf_)) {
  o.pid_ = -1;
  o.report_fd_ = o.control_fd_ = -1;
}

Probe::~Probe() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    finish();
  }
  if (report_fd_ >= 0) close(report_fd_);
}

nlohmann::json Probe::next(const std::string& what, int timeout_ms) {
  for (;;) {
    const size_t nl = buf_.find('\n');
    if (nl != std::string::npos) {
      const std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) throw Error("bench: " + what + ": the child wrote '" + line + "'");
      if (j.contains("error")) throw Error("bench: " + what + ": " + j["error"].get<std::string>());
      return j;
    }
    pollfd pfd{report_fd_, POLLIN, 0};
    const int n = poll(&pfd, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) throw Error("bench: " + what + ": no answer from the child in " + std::to_string(timeout_ms / 1000) + " s");
    char chunk[4096];
    const ssize_t r = read(report_fd_, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      const int st = finish();
      throw Error("bench: " + what + ": the child ended (status " + std::to_string(st) + ") before reporting");
    }
    buf_.append(chunk, size_t(r));
  }
}

void Probe::go() {
  // A child that died already must not kill us with SIGPIPE: the write fails (EPIPE) with the
  // signal blocked, the pending signal is taken back, and next() then reports the child's end.
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  const char c = 'g';
  if (!write_all(control_fd_, &c, 1) && errno == EPIPE) {
    const timespec now{0, 0};
    sigtimedwait(&pipe_set, nullptr, &now);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

int Probe::finish() {
  if (control_fd_ >= 0) {
    close(control_fd_);
    control_fd_ = -1;
  }
  if (pid_ <= 0) return -1;
  int ws = 0;
  while (waitpid(pid_, &ws, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status_of(ws);
}

}  // namespace ts::costs
