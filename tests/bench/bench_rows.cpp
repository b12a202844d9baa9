// bench_rows.cpp: `taskscope bench`'s process and thread create figures beside the plainest loops
// that measure the same thing, in the same run: fork()+_exit()+waitpid() and
// pthread_create()+pthread_join() in a tight loop of this process, no child probe, no watcher.
// The ratio says how much bench's machinery (a forked probe per row, rounds, medians) adds or hides.
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../support/support.h"

namespace {

using Clock = std::chrono::steady_clock;

// median_of() is the median of `rounds` runs of `once` (each returns ns per unit).
template <typename F>
double median_of(int rounds, F once) {
  std::vector<double> v;
  for (int r = 0; r < rounds; ++r) v.push_back(once());
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// fork_ns() is one round of n fork+_exit+waitpid, ns each.
double fork_ns(int n) {
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    const pid_t c = fork();
    if (c == 0) _exit(0);
    if (c < 0) throw std::runtime_error("fork failed");
    waitpid(c, nullptr, 0);
  }
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / n;
}

void* nothing(void*) { return nullptr; }

// thread_ns() is one round of n pthread_create+pthread_join, ns each.
double thread_ns(int n) {
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    pthread_t t;
    if (pthread_create(&t, nullptr, nothing, nullptr) != 0) throw std::runtime_error("pthread_create failed");
    pthread_join(t, nullptr);
  }
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / n;
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
  fork_ns(200);  // warm-up
  thread_ns(2000);
  const double loop_fork = median_of(9, [] { return fork_ns(2000); });
  const double loop_thread = median_of(9, [] { return thread_ns(20000); });
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("taskscope bench rows beside plain loops in this process (same run; load %.2f; not pinned)\n", load[0]);
  std::printf("%-28s %14s %14s %8s\n", "figure", "bench", "plain loop", "ratio");
  std::printf("%-28s %12.0f ns %12.0f ns %7.2fx\n", "fork+exit+wait", bench_fork, loop_fork, bench_fork / loop_fork);
  std::printf("%-28s %12.0f ns %12.0f ns %7.2fx\n", "pthread_create+join", bench_thread, loop_thread,
              bench_thread / loop_thread);
  return 0;
}
