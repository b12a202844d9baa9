// collect_rates.h: what the collector derives from two snapshots beyond diff()'s per-task rates:
// run-queue delay per task, per-process sums over live threads, and the tasks that ended (dying
// rows). Plain functions over the model, no I/O.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "model/snapshot.h"
#include "view/frame.h"

namespace ts::view {

// DelayRates maps a tid to the milliseconds per second it spent waiting on a run queue.
using DelayRates = std::unordered_map<int32_t, double>;

// run_delay_rates() is, for each task in both snapshots (same tid and start time, its counter not
// gone backwards), how fast its run-queue delay (Task::run_delay_ns) grew between them, in ms per
// second. Empty unless both snapshots carry Field::Delay and `cur` is later than `prev`.
DelayRates run_delay_rates(const Snapshot& prev, const Snapshot& cur);

// process_rates() sums, for each process of `snap`, the rates of its live threads (`rates` and
// `delay`, keyed by tid); a thread with no rate (new in `snap`) adds nothing. Every process of
// `snap` gets an entry, zero when none of its threads has a rate.
std::unordered_map<int32_t, ProcessRate> process_rates(const Snapshot& snap, const Rates& rates,
                                                       const DelayRates& delay);

// dying() lists the tasks of `prev` that `cur` no longer has (a tid gone, or reused by a task that
// started later), grouped by process in pid order: each Process is prev's with only its ended
// tasks. Linear in the number of tasks (match_tasks()).
std::vector<Process> dying(const Snapshot& prev, const Snapshot& cur);

}  // namespace ts::view
