// maps_goro.cpp: the G stack arena from a goro process's published segment.
#include "procfs/maps_goro.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "goro/reader.h"
#include "model/error.h"

namespace ts {

std::optional<GoroutineArena> goroutine_arena_of(const GoroSnapshot& s) {
  if (s.arena_hi <= s.arena_lo) return std::nullopt;
  GoroutineArena a;
  a.lo = s.arena_lo;
  a.hi = s.arena_hi;
  a.slot_size = s.slot_size;
  a.guard_size = s.guard_size;
  a.gs = static_cast<size_t>(std::count_if(s.gs.begin(), s.gs.end(), [](const GoroG& g) { return g.state != GState::Dead; }));
  return a;
}

std::optional<GoroutineArena> read_goroutine_arena(pid_t pid, std::vector<std::string>& notes) {
  const std::string path = goro::segment_path(pid);
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0 && errno == ENOENT) return std::nullopt;
  try {
    const GoroSnapshot s = goro::read_goro(pid);
    if (auto a = goroutine_arena_of(s)) return a;
    notes.push_back(path + " publishes no G stack arena (a goro runtime older than this taskscope): goroutine stacks are not told apart");
  } catch (const Error& e) {
    notes.push_back(std::string("goroutine stacks not told apart: ") + e.what());
  }
  return std::nullopt;
}

}  // namespace ts
