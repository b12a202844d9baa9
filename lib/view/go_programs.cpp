// go_programs.cpp: the Go programs of a frame, bounded.
#include "view/go_programs.h"

#include <algorithm>

#include "view/collect_runtime.h"

namespace ts::view {

std::vector<int32_t> go_programs(const Frame& f) {
  std::vector<int32_t> out;
  for (const auto& [pid, rt] : f.runtimes)
    if (is_go_runtime(rt)) out.push_back(pid);
  std::sort(out.begin(), out.end());
  if (out.size() > kMaxGoPrograms) out.resize(kMaxGoPrograms);
  return out;
}

}  // namespace ts::view
