// bench.h: one `taskscope bench` run: which rows, on which CPUs, and the conditions measured
// around them (load, the clock's own cost, pinning).
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "costs/row.h"

namespace ts::costs {

// GoMode says whether the Go row runs: Auto when `go` is on PATH, Force fails without it.
enum class GoMode { Auto, Force };

// BenchOptions is the parsed command line.
struct BenchOptions {
  bool quick = false;
  std::vector<std::string> only;  // row ids (process, exec, thread, goro, go); empty means all
  int cpus = 1;                   // CPUs the create rounds may use
  GoMode go = GoMode::Auto;
};

// kRowIds are the rows in table order.
inline const std::vector<std::string> kRowIds{"process", "exec", "thread", "goro", "go"};

// BenchEnv is what was true of the machine while the rows were measured.
struct BenchEnv {
  int cpus_online = 0;
  std::vector<int> allowed_cpus;  // this process's affinity mask
  std::vector<int> create_cpus;   // where create rounds ran
  int switch_cpu = 0;             // where both sides of every switch test ran
  double load1 = 0, load5 = 0, load15 = 0;  // at start
  bool loaded = false;            // load1 above half the online CPUs: figures are slower and noisier
  double clock_ns = 0;            // one sys::monotonic_ns() read
  int rounds = 0;                 // measured rounds per figure (one warm-up round more)
  bool quick = false;
  std::vector<std::string> notes;  // rows left out, and why
};

// BenchResult is a finished run.
struct BenchResult {
  BenchEnv env;
  std::vector<CostRow> rows;  // in kRowIds order
};

// check_options() validates what run_bench() would refuse, before anything is measured: an
// unknown --only row, --cpus below 1 or above the CPUs allowed (ts::Error, status 2), and the Go
// row forced (--go, or --only go) with no `go` on PATH (status 1). Returns the `go` path, or ""
// when the Go row is not run.
std::string check_options(const BenchOptions& o);

// run_bench() measures the chosen rows. `note` gets one-line notes while it runs (a Go build on
// first use). Throws ts::Error as check_options() does, or when a measurement fails.
BenchResult run_bench(const BenchOptions& o, std::ostream& note);

}  // namespace ts::costs
