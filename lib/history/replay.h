// replay.h: recorded samples made back into the Frames `top` shows: the sample, the rates since the
// sample before it (computed now from the cumulative counters, as the collector computes them
// live), the tasks that ended in between, and the interval's events.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "history/reader.h"
#include "history/sample.h"
#include "view/frame.h"

namespace ts::history {

// make_frame() is the Frame of sample `cur` (seq `seq`) with rates and dying tasks since `prev`
// (null: the first sample, no rates) and `events` as its interval's events.
std::shared_ptr<view::Frame> make_frame(const Sample& cur, const Sample* prev, std::vector<Event> events, uint64_t seq);

// replay_frame() reads sample `ref` of `r` and the one before it and makes their Frame.
std::shared_ptr<view::Frame> replay_frame(const Reader& r, const SampleRef& ref);

}  // namespace ts::history

namespace ts::history {

// ReplayedSnapshot is a recorded Snapshot, what `ps --replay` shows.
struct ReplayedSnapshot {
  Snapshot snap;
  SampleRef ref;   // which sample
  bool threads = false;  // the recording kept every thread
};

// replay_snapshot() is the sample of recording `path` at `at` (parse_time()'s forms; "end" when
// empty), restricted to `pids` (empty: all); its notes start "when recorded: ". Throws ts::Error when `want_threads` and the recording
// was made without --threads (its tasks are per-process sums).
ReplayedSnapshot replay_snapshot(const std::string& path, const std::string& at, const std::vector<int32_t>& pids,
                                 bool want_threads);

}  // namespace ts::history
