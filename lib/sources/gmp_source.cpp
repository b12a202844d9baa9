// gmp_source.cpp: goro segment first, then a Go program's own runtime, then the goro message.
#include "sources/gmp_source.h"

#include <sys/stat.h>

#include "goro/reader.h"
#include "gort/go_reader.h"

namespace ts {

GoroSnapshot read_gmp(int32_t pid) {
  struct stat st {};
  // A goro program publishes its segment; lstat, as read_goro() refuses to follow a link itself.
  if (lstat(goro::segment_path(pid).c_str(), &st) != 0 && gort::is_go_program(pid)) return gort::read_go(pid);
  return goro::read_goro(pid);
}

}  // namespace ts
