// frame_wait.h: what a program that consumes the Collector's Frames in a loop needs (the recorder,
// the exporter): wait for the next Frame or a stop, and say each kind of note once.
#pragma once
#include <memory>
#include <set>
#include <string>

#include "view/collector.h"

namespace ts::view {

// wait_frame() blocks until `c` publishes a Frame (returned) or stop_fd becomes readable or hangs
// up (nullptr). EINTR is retried; any other poll failure throws ts::Error.
std::shared_ptr<const Frame> wait_frame(Collector& c, int stop_fd);

// NoteOnce says each kind of note once: notes that differ only in their digits ("3 process(es)
// hidden ...", "4 process(es) hidden ...") are one kind.
class NoteOnce {
 public:
  // first() is true the first time a note of this kind is seen.
  bool first(const std::string& note);

 private:
  std::set<std::string> said_;
};

}  // namespace ts::view
