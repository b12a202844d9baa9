// gmp_source.h: picking the source of a process's G/M/P state: a goro runtime's segment or an
// unmodified Go program's memory. The one place that knows both (as make_source() for tasks).
#pragma once
#include <cstdint>
#include <memory>

#include "model/gmp.h"

namespace ts {

namespace gort {
class GoProcess;
}

// read_gmp() reads pid's scheduler state from the goro segment it publishes when there is one,
// else from its Go runtime's memory when its executable is a Go program (gort::read_go()), else
// fails as read_goro() does ("publishes no goro state ... is it a goro program?"). Throws ts::Gone
// when pid does not exist or exits during the read, ts::Error with one line otherwise.
GoroSnapshot read_gmp(int32_t pid);

// GmpReader reads one process's scheduler state again and again (`gmp -i`), as read_gmp() does,
// but keeps a Go program's reader from one read to the next: its executable, symbols and DWARF
// offsets are read once, its memory each read(). read() throws as read_gmp().
class GmpReader {
 public:
  // GmpReader() reads nothing yet.
  explicit GmpReader(int32_t pid);
  ~GmpReader();
  GmpReader(const GmpReader&) = delete;
  GmpReader& operator=(const GmpReader&) = delete;

  // read() is one snapshot of the process.
  GoroSnapshot read();
  // go_opens() counts the Go readers made (1 for a Go program however often read() is called).
  int go_opens() const { return go_opens_; }

 private:
  int32_t pid_;
  std::unique_ptr<gort::GoProcess> go_;
  int go_opens_ = 0;
};

}  // namespace ts
