// schema.h: the tables of a recording (also documented in taskscope-record(1) for sqlite3 users)
// and the check that a file is one.
#pragma once
#include "history/db.h"

namespace ts::history {

// kFormat is the `meta` row key "format"'s value in every recording.
constexpr const char* kFormat = "taskscope-history";
// kSchemaVersion is the `meta` row "schema"; a reader refuses a newer one. 2: sample.key_id (delta
// samples); 1: every sample whole (still read; a Writer appending to one makes it 2).
constexpr int kSchemaVersion = 2;

// create_schema() makes a new or empty file a recording (WAL journal, the tables, the meta rows),
// or checks that an existing one is (check_recording()) and leaves it as it is.
void create_schema(Db& db);

// check_recording() throws ts::Error "<file>: not a taskscope recording ..." unless the file has
// the meta table with format kFormat and a schema this reader knows; returns that schema.
int check_recording(const Db& db);

}  // namespace ts::history
