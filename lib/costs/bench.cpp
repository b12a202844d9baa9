// bench.cpp: running the rows, and measuring the conditions they ran in.
#include "costs/bench.h"

#include <unistd.h>

#include <algorithm>

#include "costs/go_row.h"
#include "costs/goro_rows.h"
#include "costs/observe.h"
#include "costs/probe.h"
#include "costs/process_rows.h"
#include "costs/thread_rows.h"
#include "model/error.h"
#include "procfs/machine_reader.h"
#include "sys/clock.h"

namespace ts::costs {

namespace {

bool wants(const BenchOptions& o, const std::string& id) {
  return o.only.empty() || std::find(o.only.begin(), o.only.end(), id) != o.only.end();
}

std::string row_list() {
  std::string s;
  for (const std::string& id : kRowIds) s += (s.empty() ? "" : ", ") + id;
  return s;
}

// clock_cost() is the median over 9 runs of one monotonic_ns() read, in ns.
double clock_cost() {
  std::vector<double> runs;
  for (int r = 0; r < 9; ++r) {
    constexpr int kReads = 2000;
    const uint64_t t0 = sys::monotonic_ns();
    uint64_t last = t0;
    for (int i = 0; i < kReads; ++i) last = sys::monotonic_ns();
    runs.push_back(double(last - t0) / kReads);
  }
  return spread_of(runs).median;
}

}  // namespace

std::string check_options(const BenchOptions& o) {
  for (const std::string& id : o.only)
    if (std::find(kRowIds.begin(), kRowIds.end(), id) == kRowIds.end())
      throw Error("--only: no row '" + id + "' (rows: " + row_list() + ")", 2);
  const size_t allowed = allowed_cpus().size();
  if (o.cpus < 1 || size_t(o.cpus) > allowed)
    throw Error("--cpus " + std::to_string(o.cpus) + ": give 1 to " + std::to_string(allowed) +
                    " (the CPUs this process may run on)",
                2);
  const bool forced = o.go == GoMode::Force || (!o.only.empty() && wants(o, "go"));
  if (!wants(o, "go") && o.go != GoMode::Force) return "";
  const std::string go = find_go();
  if (go.empty() && forced)
    throw Error("the Go row needs a Go toolchain and there is no `go` on PATH (apt-get install golang-go)");
  return go;
}

BenchResult run_bench(const BenchOptions& o, std::ostream& note) {
  const std::string go = check_options(o);
  BenchResult res;
  BenchEnv& env = res.env;
  Plan plan = o.quick ? Plan::quick() : Plan::full();
  env.allowed_cpus = allowed_cpus();
  env.cpus_online = int(sysconf(_SC_NPROCESSORS_ONLN));
  plan.create_cpus.assign(env.allowed_cpus.begin(), env.allowed_cpus.begin() + o.cpus);
  plan.switch_cpu = env.allowed_cpus.back();
  env.create_cpus = plan.create_cpus;
  env.switch_cpu = plan.switch_cpu;
  const MachineSample m = procfs::MachineReader().read();
  env.load1 = m.load1;
  env.load5 = m.load5;
  env.load15 = m.load15;
  env.loaded = m.load1 > 0.5 * std::max(env.cpus_online, 1);
  env.clock_ns = clock_cost();
  env.rounds = plan.rounds;
  env.quick = o.quick;

  Observer obs;
  if (wants(o, "process")) res.rows.push_back(measure_fork_row(plan, obs));
  if (wants(o, "exec")) res.rows.push_back(measure_exec_row(plan, obs));
  if (wants(o, "thread")) res.rows.push_back(measure_thread_row(plan, obs));
  if (wants(o, "goro")) res.rows.push_back(measure_goro_row(plan, obs));
  if (wants(o, "go") || o.go == GoMode::Force) {
    if (go.empty()) env.notes.push_back("no `go` on PATH: the Go row is left out (--go requires it)");
    else res.rows.push_back(measure_go_row(plan, obs, go_program(go, note)));
  }
  return res;
}

}  // namespace ts::costs
