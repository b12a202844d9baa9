// gmp_source.cpp: goro segment first, then a Go program's own runtime, then the goro message.
#include "sources/gmp_source.h"

#include <sys/stat.h>

#include "goro/reader.h"
#include "gort/go_reader.h"

namespace ts {

GmpReader::GmpReader(int32_t pid) : pid_(pid) {}

GmpReader::~GmpReader() = default;

GoroSnapshot GmpReader::read() {
  if (go_) return go_->read();
  struct stat st {};
  // A goro program publishes its segment; lstat, as read_goro() refuses to follow a link itself.
  if (lstat(goro::segment_path(pid_).c_str(), &st) != 0 && gort::is_go_program(pid_)) {
    ++go_opens_;
    auto go = std::make_unique<gort::GoProcess>(pid_);
    GoroSnapshot s = go->read();
    go_ = std::move(go);
    return s;
  }
  return goro::read_goro(pid_);
}

GoroSnapshot read_gmp(int32_t pid) { return GmpReader(pid).read(); }

}  // namespace ts
