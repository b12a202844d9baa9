// reader.h: Reader, a recording opened read-only: its samples' times, a sample decoded, the events
// of its interval. Everything in the file is untrusted: a damaged, truncated or foreign file gives
// a one-line ts::Error naming the file (and the sample and byte offset for a bad blob).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "history/chain.h"
#include "history/db.h"
#include "history/sample.h"
#include "model/event.h"

namespace ts::history {

// SampleRef is one row of the sample index.
struct SampleRef {
  int64_t id = 0;
  uint64_t wall_ns = 0;   // Unix ns when it was taken
  uint64_t mono_ns = 0;   // CLOCK_MONOTONIC then
};

// Reader reads one recording. Each call is its own short read transaction, so the recorder can keep
// writing (a reader never holds the WAL back). Not thread-safe (load() keeps a cache).
class Reader {
 public:
  // Reader() opens `path`; throws ts::Error when it is missing, not a recording, or holds no sample.
  explicit Reader(const std::string& path);

  // first(), last() are the oldest and newest samples.
  SampleRef first() const;
  SampleRef last() const;
  // at() is the newest sample taken at or before `wall_ns` (the first one when all are later).
  SampleRef at(uint64_t wall_ns) const;
  // before(), after() are the samples just before and after `id`, if any.
  std::optional<SampleRef> before(int64_t id) const;
  std::optional<SampleRef> after(int64_t id) const;
  // count() is the number of samples.
  int64_t count() const;
  // load() decodes sample `id` (its key and the deltas up to it; from the last sample loaded when
  // that is an earlier one of the same chain).
  Sample load(int64_t id) const;
  // events() are the clone/exec/exit events recorded with sample `id` (its interval), in order.
  std::vector<Event> events(int64_t id) const;
  // path() is the file.
  const std::string& path() const { return db_.path(); }

 private:
  std::optional<SampleRef> one(const char* sql, int64_t arg) const;

  Db db_;
  bool keyed_ = false;          // schema 2: rows may be deltas
  mutable ChainCache cache_;    // the last sample load() decoded
};

}  // namespace ts::history
