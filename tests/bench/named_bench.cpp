// named_bench: what one pass of the /proc source's named path costs a long-running reader (the
// recorder, top and export complete each BPF snapshot with it: this VM's kernel hides pid 1 from
// the BPF task iterators), beside the bare path reads of the same files measured in the same run.
//  - pid 1 and a named_threads fixture of 14 tasks (pid 1's count here), through one ProcSource kept
//    across passes, as the recorder asks (every field but Layout): CPU and wall time per pass;
//  - anchor: the same files read by path each pass (status, stat, cmdline, the task directory
//    listed, each task's stat and schedstat), as the named path read them before it kept them open;
//  - sys::task_total() per call, beside a path read of /proc/loadavg.
// Median of several rounds; the bench pins itself to CPU 1 and prints the load average around.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bpf_floor.h"
#include "model/source.h"
#include "procfs/proc_ids.h"
#include "procfs/proc_source.h"
#include "procfs/proc_text.h"
#include "sys/clock.h"
#include "sys/pid.h"
#include "../support/support.h"

using namespace ts;

namespace {

constexpr int kRounds = 7;
constexpr int kPasses = 400;       // passes of a round
constexpr int kTotals = 20000;     // task_total() calls of a round

// Cost is one round's thread CPU and wall time per operation, in ns.
struct Cost {
  double cpu = 0, wall = 0;
};

// measure() runs `op` n times per round, kRounds rounds after a warm-up round, and returns the
// round with the median CPU time.
Cost measure(int n, const std::function<void()>& op) {
  for (int i = 0; i < n / 4; ++i) op();
  std::vector<Cost> rounds;
  for (int r = 0; r < kRounds; ++r) {
    const uint64_t c0 = sys::thread_cpu_ns(), w0 = sys::monotonic_ns();
    for (int i = 0; i < n; ++i) op();
    rounds.push_back({static_cast<double>(sys::thread_cpu_ns() - c0) / n, static_cast<double>(sys::monotonic_ns() - w0) / n});
  }
  std::sort(rounds.begin(), rounds.end(), [](const Cost& a, const Cost& b) { return a.cpu < b.cpu; });
  return rounds[rounds.size() / 2];
}

// path_pass() reads by path what a named pass reads of `pid`: its status, stat and cmdline, its
// task directory, and each task's stat and schedstat. Returns the tasks read.
size_t path_pass(int32_t pid) {
  char path[64], buf[8192];
  std::snprintf(path, sizeof path, "/proc/%d/status", pid);
  procfs::read_small(path, buf, sizeof buf);
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  procfs::read_small(path, buf, sizeof buf);
  const std::string cmdline = procfs::read_cmdline(pid);
  size_t tasks = 0;
  for (int32_t tid : procfs::proc_task_ids(pid)) {
    std::snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
    if (procfs::read_small(path, buf, sizeof buf) <= 0) continue;
    std::snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", pid, tid);
    if (procfs::read_small(path, buf, sizeof buf) > 0) ++tasks;
  }
  return tasks;
}

void row(const char* what, int32_t pid) {
  auto src = make_proc_source();
  Request req;
  req.fields = kAllFields & ~static_cast<Fields>(Field::Layout);  // the recorder's
  req.pids = {pid};
  size_t tasks = 0;
  const Cost kept = measure(kPasses, [&] { tasks = src->snapshot(req).task_count(); });
  size_t read = 0;
  const Cost path = measure(kPasses, [&] { read = path_pass(pid); });
  std::printf("  %-28s %3zu tasks: kept source %7.1f us CPU/pass (%7.1f wall); anchor, path reads %7.1f us CPU (%7.1f wall, %zu tasks): %.2fx\n",
              what, tasks, kept.cpu / 1e3, kept.wall / 1e3, path.cpu / 1e3, path.wall / 1e3, read, path.cpu / kept.cpu);
}

}  // namespace

int main() {
  const bool pinned = bench::pin_thread(1);
  std::printf("named_bench: %s, %s\n", pinned ? "pinned to CPU 1" : "not pinned", bench::load_line().c_str());
  row("pid 1", 1);
  {
    test::Fixture fx("named_threads", {"13"});
    const int32_t pid = nlohmann::json::parse(fx.facts())["pid"];
    row("named_threads 13 (fixture)", pid);
  }
  uint64_t total = 0;
  const Cost kept = measure(kTotals, [&] { total += sys::task_total(); });
  char buf[128];
  const Cost path = measure(kTotals, [&] { total += static_cast<uint64_t>(procfs::read_small("/proc/loadavg", buf, sizeof buf)); });
  std::printf("  %-28s %7.2f us CPU/call (%7.2f wall); anchor, path read of /proc/loadavg %7.2f us CPU: %.2fx\n",
              "sys::task_total()", kept.cpu / 1e3, kept.wall / 1e3, path.cpu / 1e3, path.cpu / kept.cpu);
  std::printf("  %s\n", bench::load_line().c_str());
  return total == 0;  // task_total() read nothing: a broken run
}
