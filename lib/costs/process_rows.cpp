// process_rows.cpp: what a process costs: fork or vfork+exec, a pipe ping-pong, a waiting child.
#include "costs/process_rows.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "costs/paths.h"
#include "costs/probe.h"
#include "costs/watch.h"
#include "model/error.h"

extern char** environ;

namespace ts::costs {

namespace {

void reap(pid_t pid) {
  int ws;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
}

// fork_exit_wait() creates one process that exits at once, and reaps it.
void fork_exit_wait() {
  const pid_t c = fork();
  if (c == 0) _exit(0);
  if (c < 0) throw Error("bench: fork failed");
  reap(c);
}

// vfork_exec_wait() starts `argv` with vfork+execve and reaps it; returns its exit status.
int vfork_exec_wait(char* const* argv) {
  const pid_t c = vfork();
  if (c == 0) {
    execve(argv[0], argv, environ);
    _exit(127);
  }
  if (c < 0) throw Error("bench: vfork failed");
  int ws = 0;
  while (waitpid(c, &ws, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
}

// pipe_pingpong() is the switch probe: this process and a forked partner pass a byte back and
// forth over two pipes. Each side blocks in read(2) once per round trip (a voluntary switch), or
// is preempted by the wakeup (an involuntary one): two kernel switches per round trip either way.
int pipe_pingpong(ProbeIo& io, int rounds, int trips) {
  int ping[2], pong[2];
  if (pipe(ping) != 0 || pipe(pong) != 0) throw Error("bench: cannot create a pipe");
  const long total = long(rounds + 1) * trips;
  const pid_t b = fork();
  if (b == 0) {
    close(ping[1]);
    close(pong[0]);
    char c = 0;
    for (long i = 0; i < total; ++i)
      if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1) _exit(1);
    while (read(ping[0], &c, 1) > 0) {  // blocks (one switch, counted) until A closes
    }
    _exit(0);
  }
  if (b < 0) throw Error("bench: fork failed");
  close(ping[0]);
  close(pong[1]);
  io.report({{"tasks", {{getpid(), getpid()}, {b, b}}}});
  if (!io.wait_go()) return 1;
  char c = 'p';
  bool ok = true;
  const auto rt = timed_rounds(rounds, trips, [&] {
    for (int i = 0; i < trips; ++i) ok = ok && write(ping[1], &c, 1) == 1 && read(pong[0], &c, 1) == 1;
  });
  if (!ok) throw Error("bench: the pipe ping-pong partner died");
  io.report({{"roundtrip_ns", rt}, {"switches", 2 * total}});
  io.wait_go();  // the one protocol wait in the window (B's last read is one of its `total`)
  close(ping[1]);
  reap(b);
  return 0;
}

// waiting_rss() is the RSS of a probe that has reported and sleeps (read from outside).
uint64_t waiting_rss(Probe& p, Observer& obs) {
  p.next("waiting child");
  obs.wait_asleep(p.pid());
  const uint64_t rss = obs.rss(p.pid());
  p.finish();
  return rss;
}

}  // namespace

uint64_t stack_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 0;
  return rl.rlim_cur;
}

CostRow measure_fork_row(const Plan& plan, Observer& obs) {
  CostRow row = make_row("process", "process", "process fork", "big", "big", "fork+exit+wait");
  row.create_ns = measure_create(plan.create_cpus, plan.rounds, plan.fork_batch, "fork", [&] {
    for (int i = 0; i < plan.fork_batch; ++i) fork_exit_wait();
  });

  row.switch_how = row.roundtrip_how = "pipe";
  Probe sw = Probe::fork_fn({plan.switch_cpu}, [&](ProbeIo& io) { return pipe_pingpong(io, plan.rounds, plan.trips); });
  fill_pingpong(row, watch_switches(sw, obs, "pipe ping-pong", 1));

  row.memory_how = "a forked copy of taskscope, waiting";
  Probe idle = Probe::fork_fn({}, [](ProbeIo& io) {
    io.report(nlohmann::json::object());
    io.wait_go();
    return 0;
  });
  row.rss_bytes = waiting_rss(idle, obs);
  row.rss_units = 1;
  row.reserved_bytes = stack_limit();
  row.reserved_how = "ulimit -s";
  return row;
}

CostRow measure_exec_row(const Plan& plan, Observer& obs) {
  const std::string helper = exec_helper_path();
  if (access(helper.c_str(), X_OK) != 0)
    throw Error("bench: the exec row's helper " + helper + " is missing (build it with make, or use --only to skip exec)");
  CostRow row = make_row("exec", "process", "process exec", "big", "big", "vfork+exec(static)+wait");
  std::string path = helper;
  char* argv[] = {path.data(), nullptr};
  row.create_ns = measure_create(plan.create_cpus, plan.rounds, plan.exec_batch, "vfork+exec", [&] {
    for (int i = 0; i < plan.exec_batch; ++i)
      if (vfork_exec_wait(argv) != 0) throw Error(helper + " did not run");
  });

  row.memory_how = "the static helper, waiting";
  Probe idle = Probe::exec({}, {helper, "wait"});
  row.rss_bytes = waiting_rss(idle, obs);
  row.rss_units = 1;
  row.reserved_bytes = stack_limit();
  row.reserved_how = "ulimit -s";
  return row;
}

}  // namespace ts::costs
