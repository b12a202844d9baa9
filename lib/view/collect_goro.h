// collect_goro.h: finding and reading the goro runtimes of a snapshot's processes, one listing of
// /dev/shm per pass instead of a look for every pid.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/gmp.h"
#include "model/snapshot.h"

namespace ts::view {

// goro_segment_pids() lists, sorted, the pids that have a segment in `dir` (files named
// "goro.<pid>", as the runtime names them); empty when `dir` cannot be read.
std::vector<int32_t> goro_segment_pids(const std::string& dir = "/dev/shm");

// GoroRead is what read_goros() found: each runtime read, and a one-line note for each that could
// not be (at most kMaxGoroNotes notes, then one that counts the rest).
struct GoroRead {
  std::map<int32_t, GoroSnapshot> by_pid;
  std::vector<std::string> notes;
};

// kMaxGoroNotes bounds the notes read_goros() gives about unreadable segments.
constexpr size_t kMaxGoroNotes = 3;

// read_goros() reads (lib/goro read_goro) the runtime of every process of `snap` whose pid is in
// `with_segment` (sorted). A segment that cannot be read (permission, stale, malformed, its process
// gone) becomes a note, never an exception.
GoroRead read_goros(const Snapshot& snap, const std::vector<int32_t>& with_segment);

}  // namespace ts::view
