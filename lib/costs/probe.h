// probe.h: Probe, a child process that measures something and reports it in JSON lines, so that
// the bench process itself stays single-threaded and unpinned and can watch the child from outside.
#pragma once
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ts::costs {

// ProbeIo is the child's side of the protocol: it reports JSON lines and waits for the parent's
// go-ahead. A wait blocks in read(2): one voluntary context switch, which the observers subtract.
class ProbeIo {
 public:
  // ProbeIo() wraps the pipe ends the child got (report: write end, control: read end).
  ProbeIo(int report_fd, int control_fd) : report_fd_(report_fd), control_fd_(control_fd) {}
  // report() writes `j` as one line to the parent.
  void report(const nlohmann::json& j) const;
  // wait_go() blocks until the parent sends a byte (true) or closes the control pipe (false).
  bool wait_go() const;

 private:
  int report_fd_;
  int control_fd_;
};

// Probe is one running child. It is killed and reaped when destroyed if finish() was not called.
class Probe {
 public:
  // fork_fn() forks a child pinned to `cpus` (empty: left as it is) that runs fn and then _exits
  // with fn's return value (127 when fn throws). The child must only do what a forked copy of a
  // single-threaded program may. Throws ts::Error when fork fails.
  static Probe fork_fn(const std::vector<int>& cpus, std::function<int(ProbeIo&)> fn);
  // exec() starts argv[0] (a path) pinned to `cpus` with `env` added to the environment; its stdin
  // is the control pipe and its stdout the report pipe. Throws ts::Error when it cannot start.
  static Probe exec(const std::vector<int>& cpus, const std::vector<std::string>& argv,
                    const std::vector<std::string>& env = {});

  Probe(Probe&& o) noexcept;
  Probe& operator=(Probe&&) = delete;
  Probe(const Probe&) = delete;
  ~Probe();

  // pid() is the child's pid.
  pid_t pid() const { return pid_; }
  // next() reads the child's next report line, waiting at most `timeout_ms`. Throws ts::Error
  // naming `what` when the child ended, timed out, or wrote something that is not JSON.
  nlohmann::json next(const std::string& what, int timeout_ms = 60000);
  // go() sends the child its go-ahead (one byte).
  void go();
  // finish() closes the control pipe and reaps the child; returns its exit status (128+signal).
  int finish();

 private:
  Probe() = default;
  // adopt() is the parent's side of a started child: it keeps the ends it uses, closes the others.
  static Probe adopt(pid_t pid, const int report[2], const int control[2]);
  pid_t pid_ = -1;
  int report_fd_ = -1;   // read end of the child's reports
  int control_fd_ = -1;  // write end of the child's control pipe
  std::string buf_;      // bytes read past the last line
};

// allowed_cpus() is the CPUs this process may run on, ascending.
std::vector<int> allowed_cpus();

// pin_self() restricts the calling thread to `cpus`; false when the kernel refuses.
bool pin_self(const std::vector<int>& cpus);

}  // namespace ts::costs
