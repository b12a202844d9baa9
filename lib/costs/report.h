// report.h: how a bench run is shown: the table, the notes on how it was measured, the log-scale
// charts; or NDJSON (one "bench_env" object, then one "bench_row" per row).
#pragma once
#include <ostream>

#include "costs/bench.h"

namespace ts::costs {

// print_bench_table() writes the conditions line, the table, how each figure was taken, and the
// charts of create, switch and memory costs.
void print_bench_table(std::ostream& out, const BenchResult& r);

// print_bench_json() writes NDJSON: {"type":"bench_env",...} then {"type":"bench_row","kind":
// "process"|"thread"|"goro"|"go","row":ID,"create_ns":..,"switch_ns":..,"bytes":..,
// "reserved_bytes":..,...} per row, each figure with its _min_ns/_max_ns spread; a figure not
// measured is null. Bench objects describe kinds of units, not a process: they carry no `pid`.
void print_bench_json(std::ostream& out, const BenchResult& r);

}  // namespace ts::costs
