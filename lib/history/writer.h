// writer.h: Writer, the recorder's side of a recording: one SQLite transaction per sample (its
// blob, its interval's events, its G counts), then the retention limit enforced by dropping the
// oldest samples. A crash at any moment leaves every committed sample readable.
#pragma once
#include <cstdint>
#include <string>

#include "history/db.h"
#include "history/retention.h"

namespace ts::view {
struct Frame;
}

namespace ts::history {

// AppendStats is what one append() wrote.
struct AppendStats {
  int64_t id = 0;            // the sample's id
  uint64_t raw_bytes = 0;    // the blob before zstd
  uint64_t stored_bytes = 0; // the zstd frame
  uint64_t events = 0;       // event rows
  uint64_t dropped = 0;      // old samples dropped by retention
};

// Writer appends to one recording file, created when missing. Not thread-safe.
class Writer {
 public:
  // Writer() opens or creates `path` (an existing file must be a recording) and keeps it within
  // `retention`. `durable` syncs each commit (synchronous=FULL); false (NORMAL: a power loss may
  // lose the last samples, a crash of the writer does not) is for generated test files.
  Writer(const std::string& path, Retention retention, bool durable = true);

  // append() stores `f` (all its tasks with `threads`, else one summed task per process, see
  // from_frame()) as taken at `wall_ns` (Unix ns), with f.events as the interval's event rows.
  AppendStats append(const view::Frame& f, bool threads, uint64_t wall_ns);

  // data_bytes() is what the recording's pages hold now (free pages not counted).
  uint64_t data_bytes();

 private:
  // enforce() drops the oldest samples beyond the retention limit; returns how many.
  uint64_t enforce(uint64_t newest_wall_ns);

  Db db_;
  Retention retention_;
  Stmt put_sample_, put_event_, put_goro_;
};

}  // namespace ts::history
