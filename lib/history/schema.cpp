// schema.cpp: the tables of a recording.
#include "history/schema.h"

#include <string>

#include "model/error.h"

namespace ts::history {

namespace {

// kTables: one row per sample (its blob: a zstd frame of the Sample encoding, history/sample.h:
// whole when key_id is NULL, else the changes since the row before, in a chain from row key_id;
// key_id before the blob, so reading it does not walk the blob's overflow pages),
// the interval's clone/exec/exit events as rows, and per-sample G counts, so that sqlite3 users
// can query events and goroutines without decoding blobs.
constexpr const char* kTables = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sample(
  id INTEGER PRIMARY KEY,
  time_ns INTEGER NOT NULL,
  mono_ns INTEGER NOT NULL,
  processes INTEGER NOT NULL,
  tasks INTEGER NOT NULL,
  events INTEGER NOT NULL,
  raw_bytes INTEGER NOT NULL,
  key_id INTEGER,
  data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS sample_time ON sample(time_ns);
CREATE TABLE IF NOT EXISTS event(
  sample INTEGER NOT NULL,
  time_ns INTEGER NOT NULL,
  mono_ns INTEGER NOT NULL,
  kind TEXT NOT NULL,
  cpu INTEGER,
  pid INTEGER,
  tid INTEGER,
  comm TEXT,
  parent_pid INTEGER,
  parent_tid INTEGER,
  flags INTEGER,
  exit_signal INTEGER,
  kernel_thread INTEGER,
  old_tid INTEGER,
  filename TEXT,
  argv TEXT,
  argv_truncated INTEGER,
  group_dead INTEGER,
  exit_code INTEGER,
  lifetime_ns INTEGER,
  cpu_ns INTEGER);
CREATE INDEX IF NOT EXISTS event_time ON event(time_ns);
CREATE INDEX IF NOT EXISTS event_sample ON event(sample);
CREATE INDEX IF NOT EXISTS event_pid ON event(pid);
CREATE TABLE IF NOT EXISTS goro(
  sample INTEGER NOT NULL,
  pid INTEGER NOT NULL,
  runtime TEXT NOT NULL,
  gomaxprocs INTEGER NOT NULL,
  gs INTEGER NOT NULL,
  runnable INTEGER NOT NULL,
  running INTEGER NOT NULL,
  syscall INTEGER NOT NULL,
  waiting INTEGER NOT NULL,
  global_runq INTEGER NOT NULL,
  local_runq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS goro_sample ON goro(sample);
)sql";

}  // namespace

int check_recording(const Db& db) {
  {
    Stmt t = db.prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'");
    if (!t.step() || t.i64(0) == 0) throw Error(db.path() + ": not a taskscope recording (an SQLite file without its meta table)");
  }
  Stmt q = db.prepare("SELECT value FROM meta WHERE key=?");
  q.bind(1, std::string_view("format"));
  if (!q.step() || q.text(0) != kFormat) throw Error(db.path() + ": not a taskscope recording (meta has no format " + kFormat + ")");
  Stmt sv = db.prepare("SELECT CAST(value AS INTEGER) FROM meta WHERE key='schema'");
  const int64_t v = sv.step() ? sv.i64(0) : 0;
  if (v < 1 || v > kSchemaVersion)
    throw Error(db.path() + ": recording schema " + std::to_string(v) + " (this taskscope reads 1 to " + std::to_string(kSchemaVersion) +
                "; a newer taskscope made it)");
  return static_cast<int>(v);
}

void create_schema(Db& db) {
  // WAL: a commit is one append to the -wal file, and a crash at any moment leaves the last
  // committed sample readable. FULL syncs each commit, so a kernel panic keeps the last seconds too.
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA journal_size_limit=8388608;");
  db.exec("BEGIN IMMEDIATE");
  try {
    Stmt has = db.prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'");
    const bool exists = has.step() && has.i64(0) > 0;
    if (exists) {
      // Schema 1 (every sample whole) gains key_id, NULL in its rows: they read as keys. A
      // taskscope that reads only schema 1 then refuses the file, naming both versions.
      if (check_recording(db) == 1) {
        db.exec("ALTER TABLE sample ADD COLUMN key_id INTEGER");
        db.exec("UPDATE meta SET value='2' WHERE key='schema'");
      }
    } else {
      db.exec(kTables);
      Stmt put = db.prepare("INSERT INTO meta(key, value) VALUES(?, ?)");
      put.bind(1, std::string_view("format")).bind(2, std::string_view(kFormat)).run();
      put.bind(1, std::string_view("schema")).bind(2, std::string_view(std::to_string(kSchemaVersion))).run();
    }
    db.exec("COMMIT");
  } catch (...) {
    db.exec("ROLLBACK");
    throw;
  }
}

}  // namespace ts::history
