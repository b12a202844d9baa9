// task_columns.h: the columns of the task tables (ps, threads) as data, and printing them as a
// text table or as NDJSON. Like htop's column table: each column says which Field it needs, so a
// view asks the Source only for what its shown columns need.
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

// ColumnSpec is one column: its id (what --sort and docs call it), title, alignment, the Field it
// needs, its text cell, its JSON key and raw JSON value (ns, bytes, plain numbers).
struct ColumnSpec {
  const char* id;
  const char* title;
  Align align;
  Field needs;
  const char* key;
  std::string (*text)(const Row&, const RenderEnv&);
  nlohmann::json (*value)(const Row&, const RenderEnv&);
};

// column() returns the spec with this id. The id must exist (it is a programming error otherwise).
const ColumnSpec& column(std::string_view id);

// columns() returns the specs for these ids, in order.
std::vector<const ColumnSpec*> columns(const std::vector<std::string_view>& ids);

// fields_for() is the union of the Fields the columns need (always with Field::Ids).
Fields fields_for(const std::vector<const ColumnSpec*>& cols);

// process_rows() makes one row per process of `snap` (skipping processes with no live task).
std::vector<Row> process_rows(const Snapshot& snap);

// task_rows() makes one row per task of every process of `snap`, in process order, leader first.
std::vector<Row> task_rows(const Snapshot& snap);

// print_table() prints the rows as an aligned text table with a header.
void print_table(std::ostream& out, const std::vector<const ColumnSpec*>& cols, const std::vector<Row>& rows,
                 const RenderEnv& env);

// print_ndjson() prints one JSON object per row, one per line, keyed by each column's key.
void print_ndjson(std::ostream& out, const std::vector<const ColumnSpec*>& cols, const std::vector<Row>& rows,
                  const RenderEnv& env);

// render_env() returns the clocks for rendering rows of `snap` now.
RenderEnv render_env(const Snapshot& snap);

// parse_pid_list() parses "1,2,3" (as given to -p); throws ts::Error(status 2) naming `flag`
// when an element is not a positive number.
std::vector<int32_t> parse_pid_list(const std::string& text, const std::string& flag);

}  // namespace ts::tools
