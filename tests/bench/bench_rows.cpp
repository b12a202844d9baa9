// bench_rows.cpp: `taskscope bench`'s process and thread create figures beside the plainest loops
// that measure the same thing, in the same run: fork()+_exit()+waitpid() and
// pthread_create()+pthread_join() in a tight loop of this process, no child probe, no watcher.
// The ratio says how much bench's machinery (a forked probe per row, rounds, medians) adds or hides.
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "../support/support.h"
#include "costs/spread.h"

namespace {

// fork_exit_wait() is n fork+_exit+waitpid.
void fork_exit_wait(int n) {
  for (int i = 0; i < n; ++i) {
    const pid_t c = fork();
    if (c == 0) _exit(0);
    if (c < 0) throw std::runtime_error("fork failed");
    waitpid(c, nullptr, 0);
  }
}

void* nothing(void*) { return nullptr; }

// create_join() is n pthread_create+pthread_join.
void create_join(int n) {
  for (int i = 0; i < n; ++i) {
    pthread_t t;
    if (pthread_create(&t, nullptr, nothing, nullptr) != 0) throw std::runtime_error("pthread_create failed");
    pthread_join(t, nullptr);
  }
}

}  // namespace

int main() {
  const auto r = ts::test::run({ts::test::taskscope_bin(), "bench", "--json", "--only", "process,thread"});
  if (r.status != 0) {
    std::fprintf(stderr, "taskscope bench failed (%d): %s", r.status, r.err.c_str());
    return 1;
  }
  double bench_fork = 0, bench_thread = 0;
  for (const std::string& l : ts::test::lines(r.out)) {
    const auto j = nlohmann::json::parse(l);
    if (j.value("type", "") != "bench_row") continue;
    if (j.value("kind", "") == "process") bench_fork = j["create_ns"].get<double>();
    if (j.value("kind", "") == "thread") bench_thread = j["create_ns"].get<double>();
  }
  // bench's own rounds and medians (lib/costs), so only the measured loop differs.
  constexpr int kForks = 2000, kThreads = 20000;
  const double loop_fork = ts::costs::spread_of(ts::costs::timed_rounds(9, kForks, [] { fork_exit_wait(kForks); })).median;
  const double loop_thread = ts::costs::spread_of(ts::costs::timed_rounds(9, kThreads, [] { create_join(kThreads); })).median;
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("taskscope bench rows beside plain loops in this process (same run; load %.2f; not pinned)\n", load[0]);
  std::printf("%-28s %14s %14s %8s\n", "figure", "bench", "plain loop", "ratio");
  std::printf("%-28s %12.0f ns %12.0f ns %7.2fx\n", "fork+exit+wait", bench_fork, loop_fork, bench_fork / loop_fork);
  std::printf("%-28s %12.0f ns %12.0f ns %7.2fx\n", "pthread_create+join", bench_thread, loop_thread,
              bench_thread / loop_thread);
  return 0;
}
