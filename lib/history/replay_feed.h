// replay_feed.h: ReplayFeed, recorded Frames handed to `top`'s viewer in place of its live
// Collector (the same fd()/take() surface), moved by keys: one sample back or forward, a minute,
// the start or the end.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "history/reader.h"
#include "model/fields.h"
#include "view/frame.h"
#include "view/keys.h"

namespace ts::history {

// ReplayFeed serves one recording's samples as Frames. Not thread-safe (the UI thread only).
class ReplayFeed {
 public:
  // ReplayFeed() opens `path` at `at` (parse_time()'s forms; the start when empty). Throws ts::Error.
  ReplayFeed(const std::string& path, const std::string& at);
  ~ReplayFeed();
  ReplayFeed(const ReplayFeed&) = delete;
  ReplayFeed& operator=(const ReplayFeed&) = delete;

  // fd() is readable while a frame not yet taken waits (an eventfd), as Collector::fd().
  int fd() const { return fd_; }
  // take() is that frame, or nullptr.
  std::shared_ptr<const view::Frame> take();
  // key() moves on a replay key and returns true ('[' and ']': one sample back and forward; '{'
  // and '}': 60 samples; Home and End: the first and last sample); false for any other key.
  bool key(const view::Key& k);
  // jump() moves to the sample at `at` (parse_time()'s forms, as --at); throws ts::Error (status 2)
  // naming the text when it is not a time.
  void jump(const std::string& at);
  // next() moves one sample forward (batch mode); false at the end.
  bool next();
  // position() says where the replay is: "replay FILE: sample N, TIME UTC" and the keys.
  std::string position() const;
  // wall_offset() turns the shown sample's CLOCK_MONOTONIC times (its events') into wall clock.
  uint64_t wall_offset() const { return at_.wall_ns - at_.mono_ns; }
  // source_name() is the recorded source's name.
  std::string source_name() const { return source_; }
  // The live Collector's controls, which a recording does not have: no-ops.
  void start() {}
  void refresh() {}
  void set_paused(bool) {}
  void set_fields(Fields) {}
  void set_delay(std::chrono::milliseconds) {}

 private:
  // go() makes sample `ref` the frame waiting to be taken.
  void go(const SampleRef& ref);

  Reader reader_;
  int fd_ = -1;
  SampleRef at_;
  std::shared_ptr<const view::Frame> waiting_;
  std::string source_;
};

}  // namespace ts::history
