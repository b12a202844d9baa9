// support.h: what tests share: paths to built programs, running them, fixtures, and the BPF gate.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace ts::test {

// build_dir() is the absolute build directory of this variant (build/rel, build/san, ...).
std::string build_dir();

// taskscope_bin() is the absolute path of the built taskscope binary.
std::string taskscope_bin();

// fixture_path() is the absolute path of the built fixture `name` (tests/fixtures/<name>.c[pp]).
std::string fixture_path(const std::string& name);

// spawn() starts argv (a bare name is looked up in PATH) with the given fds as its stdin, stdout and
// stderr (-1: inherit), closing close_fds in the child; returns its pid, which the caller waits for.
// Throws std::runtime_error when it cannot start.
pid_t spawn(const std::vector<std::string>& argv, int in, int out, int err, const std::vector<int>& close_fds = {});

// RunResult is what a finished program left behind.
struct RunResult {
  int status = -1;     // exit status, or 128+signal when killed
  std::string out;     // everything it wrote to stdout
  std::string err;     // everything it wrote to stderr
  bool timed_out = false;  // killed (SIGKILL) because it outlived run()'s timeout
};

// run() runs argv[0] with these arguments to completion, capturing stdout and stderr. With a
// timeout > 0 a program still running after it is killed (SIGKILL) and marked timed_out, so a
// hang fails its test instead of stalling the suite. Throws std::runtime_error when it cannot start.
RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

// Fixture is a running fixture program. The protocol: the fixture prints one line of JSON facts
// on stdout when it is ready, then waits until its stdin closes, then exits 0.
class Fixture {
 public:
  // Fixture() starts the fixture `name` with `args` and waits (up to 10 s) for its facts line.
  // Throws std::runtime_error when it does not start or prints no facts.
  explicit Fixture(const std::string& name, const std::vector<std::string>& args = {});
  // ~Fixture() closes its stdin, waits for it, and kills it if it lingers.
  ~Fixture();
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  // pid() is the fixture's pid.
  pid_t pid() const { return pid_; }
  // facts() is the JSON line it printed when ready.
  const std::string& facts() const { return facts_; }
  // stop() closes stdin and waits; returns the exit status (128+signal when killed).
  int stop();
  // send() writes bytes to its stdin (for fixtures that take commands); false when it cannot.
  bool send(const std::string& bytes);
  // read_line() reads its next stdout line (without the newline), waiting up to `timeout`;
  // *whole (when given) tells whether a whole line came before the timeout or end of output.
  std::string read_line(std::chrono::milliseconds timeout, bool* whole = nullptr);

 private:
  pid_t pid_ = -1;
  int in_fd_ = -1;   // the fixture's stdin (we write/close)
  int out_fd_ = -1;  // the fixture's stdout (we read)
  std::string facts_;
  int status_ = -1;
};

// forget_stale_goro_segment() removes /dev/shm/goro.PID. Call it only for a running fixture that
// links no goro: a segment by that name can then only be left by an earlier goro process that died
// by SIGKILL with the same pid, and tests expecting "publishes no goro state" must not see it.
void forget_stale_goro_segment(pid_t pid);

// lines() splits a program's output into its lines, without the newlines.
std::vector<std::string> lines(const std::string& text);

// words() splits a line at runs of white space (how tables' columns are read back).
std::vector<std::string> words(const std::string& line);

// raw_control() is the first byte of `text` a terminal would act on rather than show: a C0 control
// other than a newline and `allowed`, DEL, or a C1 control's UTF-8 form (reported as 0x80); -1 when
// there is none. What the escape tests assert text output never holds.
int raw_control(const std::string& text, char allowed = '\n');

// bpf_required() is true when TASKSCOPE_REQUIRE_BPF=1 is set (as CI does).
bool bpf_required();

}  // namespace ts::test

// TS_BPF_GATE(usable, why): in a BPF test, when `usable` is false, fail if BPF is required
// (TASKSCOPE_REQUIRE_BPF=1), otherwise print a visible skip message and leave the test.
#define TS_BPF_GATE(usable, why)                                                           \
  do {                                                                                     \
    if (!(usable)) {                                                                       \
      if (::ts::test::bpf_required()) FAIL("BPF is required here but unusable: " << (why)); \
      WARN("SKIPPED (BPF unusable, set TASKSCOPE_REQUIRE_BPF=1 to fail instead): " << (why)); \
      return;                                                                              \
    }                                                                                      \
  } while (0)
