// writer.h: Writer, the recorder's side of a recording: one SQLite transaction per sample (its
// blob, its interval's events, its G counts), then the retention limit enforced by dropping the
// oldest samples. A crash at any moment leaves every committed sample readable. A sample is stored
// as the changes since the one before (a delta) except every key_every-th, the first after opening
// and one whose kind changed (--threads), which are whole (keys): a jump decodes at most
// key_every - 1 deltas.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "history/db.h"
#include "history/retention.h"
#include "history/sample.h"

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
  bool key = false;          // stored whole (a key), else as a delta
  uint64_t dropped = 0;      // old samples dropped by retention
};

// Writer appends to one recording file, created when missing. Not thread-safe.
class Writer {
 public:
  // Writer() opens or creates `path` (an existing file must be a recording) and keeps it within
  // `retention`. `durable` syncs each commit (synchronous=FULL); false (NORMAL: a power loss may
  // lose the last samples, a crash of the writer does not) is for generated test files.
  // `key_every` (>= 1) is the key interval in samples (1: every sample whole).
  Writer(const std::string& path, Retention retention, bool durable = true, int key_every = kKeyEvery);

  // kKeyEvery is the default key interval: 60 samples, a minute at -d 1.
  static constexpr int kKeyEvery = 60;

  // append() stores `f` (all its tasks with `threads`, else one summed task per process, see
  // from_frame()) as taken at `wall_ns` (Unix ns), with f.events as the interval's event rows.
  AppendStats append(const view::Frame& f, bool threads, uint64_t wall_ns);
  // append() of a shared frame is the same, but with `threads` the writer encodes the frame's own
  // processes and keeps the frame as the next delta's base rather than copying its tasks (the
  // recorder's path: the copy of 10k Tasks and its release were 5-7% of a recorder's CPU).
  AppendStats append(std::shared_ptr<const view::Frame> f, bool threads, uint64_t wall_ns);

  // set_names() names the kept Gs' functions from later samples on (keep_gs()); none by default.
  void set_names(NameFn name) { names_ = std::move(name); }

  // data_bytes() is what the recording's pages hold now (free pages not counted).
  uint64_t data_bytes();

 private:
  // enforce() drops the oldest samples beyond the retention limit, whole chains (a key and its
  // deltas) at a time; returns how many.
  uint64_t enforce(uint64_t newest_wall_ns);
  // drop_before() drops every sample before `keep` (a key) and their rows, in one transaction;
  // returns how many samples.
  uint64_t drop_before(int64_t keep);
  // rekey() stores sample `id` whole and makes it the key of the rest of its chain.
  void rekey(int64_t id);
  // query() is the statement of `sql` (a string literal), prepared at its first use and reset:
  // retention asks three each sample (with an age limit), and preparing them each time cost five
  // times what running them does (37 us a sample against 7, a 3,600-sample file).
  Stmt& query(const char* sql);

  Db db_;
  Retention retention_;
  int key_every_;
  Stmt put_sample_, put_event_, put_goro_;
  std::map<std::string_view, Stmt> queries_;  // query()'s, by their text
  NameFn names_;                // names kept Gs' functions (may be empty)
  // store() writes sample `s` of frame `f` whose processes are `procs` (s's own, or the frame's), and keeps
  // `s` as last_.
  AppendStats store(const view::Frame& f, Sample&& s, const std::vector<Process>& procs, uint64_t wall_ns);

  std::optional<Sample> last_;  // the sample appended last, the next delta's base
  std::shared_ptr<const view::Frame> last_frame_;  // when set, the frame holding last_'s processes
  int64_t key_id_ = 0;          // the key last_ chains from
  int since_key_ = 0;           // deltas appended since that key
};

}  // namespace ts::history
