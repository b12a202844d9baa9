// collect_goro.cpp: the goro runtimes of a snapshot's processes.
#include "view/collect_goro.h"

#include <dirent.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "goro/introspect_abi.h"
#include "goro/reader.h"
#include "model/error.h"
#include "sys/pid.h"

namespace ts::view {

std::vector<int32_t> goro_segment_pids(const std::string& dir) {
  std::vector<int32_t> pids;
  DIR* d = opendir(dir.c_str());
  if (!d) return pids;
  constexpr std::string_view prefix = GORO_ABI_SHM_PREFIX + 1;  // "goro." without the slash
  while (const dirent* e = readdir(d)) {
    const std::string_view name = e->d_name;
    if (name.substr(0, prefix.size()) != prefix) continue;
    try {
      pids.push_back(sys::parse_pid(name.substr(prefix.size()), dir));
    } catch (const Error&) {
      // not a segment of ours ("goro.tmp")
    }
  }
  closedir(d);
  std::sort(pids.begin(), pids.end());
  return pids;
}

GoroRead read_goros(const Snapshot& snap, const std::vector<int32_t>& with_segment) {
  GoroRead out;
  size_t failed = 0;
  for (int32_t pid : with_segment) {
    if (!snap.find(pid)) continue;  // not shown, or a stale segment of a process long gone
    try {
      out.by_pid.emplace(pid, goro::read_goro(pid));
    } catch (const std::exception& e) {  // ts::Error, or a hostile segment's bad_alloc
      if (++failed <= kMaxGoroNotes) out.notes.push_back(std::string("goro: ") + e.what());
    }
  }
  if (failed > kMaxGoroNotes)
    out.notes.push_back("goro: " + std::to_string(failed - kMaxGoroNotes) + " more runtime(s) could not be read");
  return out;
}

}  // namespace ts::view
