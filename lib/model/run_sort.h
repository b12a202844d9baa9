// run_sort.h: sorting a sequence that is a few ascending runs (a thread list in creation order).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>

namespace ts {

// sort_runs() sorts [first, last) by `less`. A kernel lists a group's threads in creation order:
// ascending tids, in a few runs where the pid space wrapped (pid_max is 32768 on small machines).
// Up to kMaxRuns runs are merged (linear each, stable); more fall back to std::sort. An already
// sorted range costs one scan. std::sort of 10k Tasks in two runs was 15% of a 1 s recorder's CPU.
template <class It, class Less>
void sort_runs(It first, It last, Less less) {
  constexpr size_t kMaxRuns = 8;
  std::array<It, kMaxRuns + 1> ends;
  size_t runs = 0;
  for (It it = first; it != last;) {
    if (runs == ends.size()) {
      std::sort(first, last, less);
      return;
    }
    it = std::is_sorted_until(it, last, less);
    ends[runs++] = it;
  }
  for (size_t k = 1; k < runs; ++k) std::inplace_merge(first, ends[k - 1], ends[k], less);
}

}  // namespace ts
