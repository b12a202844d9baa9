// columns.h: the columns of the task tables (ps, threads and top) as data, and printing them as a
// text table or as NDJSON. Like htop's column table: one row per column holds its title, the Field
// it needs (so a view asks the Source only for what it shows), its text, its JSON, its sort key and,
// for the rate columns (CPU%, switches/s, run-queue delay), the rate it shows.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/table.h"
#include "model/fields.h"
#include "model/snapshot.h"

namespace ts::view {

// RowRate is how fast a row's counters moved since the previous frame: a task's own, or for a
// process row the sum over its threads. Unknown (known == false) for a task new in this frame,
// a dying task, and every task of a one-shot snapshot (ps).
struct RowRate {
  bool known = false;
  double cpu_pct = 0;          // percent of one CPU (200 = two CPUs busy)
  double nvcsw_ps = 0;         // voluntary switches per second
  double nivcsw_ps = 0;        // involuntary switches per second
  bool delay_known = false;    // the source measured run-queue delay (BPF: schedstats)
  double run_delay_ms_ps = 0;  // ms per second spent waiting on a run queue
};

// Row is one line of a task table: a whole process, or one of its tasks (an LWP). What it points
// to is borrowed (from a Snapshot or a Frame) and must outlive it.
struct Row {
  const Process* proc = nullptr;    // never null
  const Task* task = nullptr;       // the LWP; for a process row its leader, or its first live task
  bool whole_process = false;       // CPU time, switches and rates are the process's (sums)
  bool dying = false;               // the task (or process) ended since the previous frame
  RowRate rate;                     // rates since the previous frame (top); unknown in ps
  const std::string* label = nullptr;  // shown after a thread's name (top: "M3 → G1234 worker()")
  const std::string* runtime = nullptr;  // top: the process's runtime ("go1.19", "goro"), null none
};

// make_row() is a row for task `t` of process `p` (the process's row when `whole_process`), with no
// rate and no label.
inline Row make_row(const Process* p, const Task* t, bool whole_process = false) {
  Row r;
  r.proc = p;
  r.task = t;
  r.whole_process = whole_process;
  return r;
}

// RenderEnv is what rendering needs besides the row: clocks to turn boot-relative times into dates,
// and the machine's memory for MEM%.
struct RenderEnv {
  uint64_t boot_unix_ns = 0;  // wall-clock boot time (Snapshot::boot_time_unix_ns)
  uint64_t now_unix_ns = 0;   // wall-clock now
  uint64_t mem_total = 0;     // bytes of RAM (MEM%); 0 when unknown
};

// SortKey is how a column orders rows: `key` gives a number to compare (null: the column does not
// sort), `descending` puts the largest first (counters, sizes, times, rates) instead of the
// smallest (ids, nice, start time). Rates compare in thousandths; an unknown rate sorts below 0.
// Ties are broken by pid, then tid.
struct SortKey {
  int64_t (*key)(const Row&) = nullptr;
  bool descending = false;
};

// ColumnSpec is one column: its id (what --sort, top's sort menu and the man pages call it), title,
// alignment, the Field it needs, its text cell, its JSON key and raw JSON value (ns, bytes, plain
// numbers; null for an unknown rate), and its sort key.
struct ColumnSpec {
  const char* id;
  const char* title;
  Align align;
  Field needs;
  const char* key;
  std::string (*text)(const Row&, const RenderEnv&);
  nlohmann::json (*value)(const Row&, const RenderEnv&);
  SortKey sort;
};

// column() returns the spec with this id. The id must exist (it is a programming error otherwise).
const ColumnSpec& column(std::string_view id);

// find_column() returns the spec with this id, or nullptr.
const ColumnSpec* find_column(std::string_view id);

// columns() returns the specs for these ids, in order.
std::vector<const ColumnSpec*> columns(const std::vector<std::string_view>& ids);

// all_columns() lists every column of the table, in the table's order.
std::vector<const ColumnSpec*> all_columns();

// sort_ids() lists the ids among `cols` that have a sort key, in order (what --sort accepts).
std::vector<std::string> sort_ids(const std::vector<const ColumnSpec*>& cols);

// fields_for() is the union of the Fields the columns need (always with Field::Ids).
Fields fields_for(const std::vector<const ColumnSpec*>& cols);

// process_rows() makes one row per process of `snap` (skipping processes with no live task).
std::vector<Row> process_rows(const Snapshot& snap);

// task_rows() makes one row per task of every process of `snap`, in process order, leader first.
std::vector<Row> task_rows(const Snapshot& snap);

// thread_order() is a row's place among its process's rows: the leader first (-1), then by tid
// (a process whose threads' tids wrapped past pid_max has threads below its pid).
inline int32_t thread_order(const Row& r) { return r.task->tid == r.proc->pid ? -1 : r.task->tid; }

// row_less() is the order `by` sorts rows in (its sort key, which must exist, then pid, then
// thread_order());
// `reverse` turns the key's direction around (the tie-break stays ascending).
bool row_less(const Row& a, const Row& b, const ColumnSpec& by, bool reverse = false);

// sort_rows() orders rows as row_less(by, reverse) does (`by` must have a sort key), reading each
// row's key once: the order is total, so any starting order gives the same rows.
void sort_rows(std::vector<Row>& rows, const ColumnSpec& by, bool reverse = false);

// print_table() prints the rows as an aligned text table with a header (Table escapes the cells).
void print_table(std::ostream& out, const std::vector<const ColumnSpec*>& cols, const std::vector<Row>& rows,
                 const RenderEnv& env);

// row_json() is one row as a JSON object: {"type": type, key: value...} for each column.
nlohmann::json row_json(const char* type, const std::vector<const ColumnSpec*>& cols, const Row& r,
                        const RenderEnv& env);

// print_ndjson() prints row_json() of each row, one per line. `type` is "process" for process
// rows and "thread" for LWP rows.
void print_ndjson(std::ostream& out, const char* type, const std::vector<const ColumnSpec*>& cols,
                  const std::vector<Row>& rows, const RenderEnv& env);

// render_env() returns the clocks for rendering rows of `snap` now (mem_total unknown).
RenderEnv render_env(const Snapshot& snap);

}  // namespace ts::view
