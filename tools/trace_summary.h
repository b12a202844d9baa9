// trace_summary.h: how `taskscope trace sched --summary` shows what the kernel aggregated.
#pragma once
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/event.h"

namespace ts::tools {

// print_sched_table() prints one row per thread: PID, TID, COMM, NVCSW and NIVCSW (voluntary and
// involuntary switches), and the mean on-CPU, off-CPU and run-queue times; busiest (most switches) first.
void print_sched_table(std::ostream& out, std::vector<ThreadSchedStats> stats);

// print_log2_hist() prints a histogram as bcc's tools do: one line per power-of-two bucket, from
// the first non-empty to the last, with a bar scaled to the fullest bucket. Prints nothing when empty.
void print_log2_hist(std::ostream& out, const Log2Hist& h, const char* title);

// print_sched_hists() prints the on-CPU, off-CPU and run-queue histograms of the `top` busiest threads.
void print_sched_hists(std::ostream& out, std::vector<ThreadSchedStats> stats, size_t top);

// thread_stats_json() is one thread's summary as the object `--summary --json` prints per line.
nlohmann::json thread_stats_json(const ThreadSchedStats& s);

// hist_mean_ns() estimates the mean of a log2 histogram from bucket midpoints; 0 when empty.
uint64_t hist_mean_ns(const Log2Hist& h);

}  // namespace ts::tools
