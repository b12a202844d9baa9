// task_columns.h: the columns of the task tables (ps, threads, and top to come) as data, and
// printing them as a text table or as NDJSON. Like htop's column table: one row per column holds
// its title, the Field it needs (so a view asks the Source only for what it shows), its text, its
// JSON and its sort key.
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

namespace ts::tools {

// Row is one line of a task table: a whole process, or one of its tasks (an LWP).
struct Row {
  const Process* proc = nullptr;  // never null (borrowed from the Snapshot)
  const Task* task = nullptr;     // the LWP; for a process row its leader, or its first live task
  bool whole_process = false;     // CPU time and switches are the process's (sums), not the task's
};

// RenderEnv is what rendering needs besides the row: clocks to turn boot-relative times into dates.
struct RenderEnv {
  uint64_t boot_unix_ns = 0;  // wall-clock boot time (Snapshot::boot_time_unix_ns)
  uint64_t now_unix_ns = 0;   // wall-clock now
};

// SortKey is how a column orders rows: `key` gives a number to compare (null: the column does not
// sort), `descending` puts the largest first (counters, sizes, times) instead of the smallest (ids,
// nice, start time). Ties are broken by pid, then tid.
struct SortKey {
  int64_t (*key)(const Row&) = nullptr;
  bool descending = false;
};

// ColumnSpec is one column: its id (what --sort and the man pages call it), title, alignment, the
// Field it needs, its text cell, its JSON key and raw JSON value (ns, bytes, plain numbers), and
// its sort key.
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

// columns() returns the specs for these ids, in order.
std::vector<const ColumnSpec*> columns(const std::vector<std::string_view>& ids);

// sort_ids() lists the ids among `cols` that have a sort key, in order (what --sort accepts).
std::vector<std::string> sort_ids(const std::vector<const ColumnSpec*>& cols);

// fields_for() is the union of the Fields the columns need (always with Field::Ids).
Fields fields_for(const std::vector<const ColumnSpec*>& cols);

// process_rows() makes one row per process of `snap` (skipping processes with no live task).
std::vector<Row> process_rows(const Snapshot& snap);

// task_rows() makes one row per task of every process of `snap`, in process order, leader first.
std::vector<Row> task_rows(const Snapshot& snap);

// sort_rows() orders rows by `by`'s sort key (which must have one), ties by pid then tid; stable.
void sort_rows(std::vector<Row>& rows, const ColumnSpec& by);

// print_table() prints the rows as an aligned text table with a header (Table escapes the cells).
void print_table(std::ostream& out, const std::vector<const ColumnSpec*>& cols, const std::vector<Row>& rows,
                 const RenderEnv& env);

// print_ndjson() prints one JSON object per row, one per line: {"type": type, key: value...} for
// each column. `type` is "process" for process rows and "thread" for LWP rows.
void print_ndjson(std::ostream& out, const char* type, const std::vector<const ColumnSpec*>& cols,
                  const std::vector<Row>& rows, const RenderEnv& env);

// render_env() returns the clocks for rendering rows of `snap` now.
RenderEnv render_env(const Snapshot& snap);

}  // namespace ts::tools
