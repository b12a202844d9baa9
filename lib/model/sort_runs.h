// sort_runs.h: sort_runs(), a sort for lists that are a few ascending runs (tasks listed in
// creation order after the pid space wrapped).
#pragma once
#include <algorithm>
#include <cstddef>
#include <iterator>

namespace ts {

// sort_runs() sorts [first, last) by `less`, as std::sort does (not stable). It costs one linear
// pass when the range is already sorted and one linear merge per further ascending run, up to
// kMaxRuns runs; a range with more runs than that is sorted with std::sort.
template <class It, class Less>
void sort_runs(It first, It last, Less less) {
  constexpr size_t kMaxRuns = 8;
  It ends[kMaxRuns + 1];
  size_t runs = 0;
  for (It it = first; it != last && runs <= kMaxRuns;) ends[runs++] = it = std::is_sorted_until(it, last, less);
  if (runs <= 1) return;
  if (runs > kMaxRuns) {
    std::sort(first, last, less);
    return;
  }
  for (size_t k = 1; k < runs; ++k) std::inplace_merge(first, ends[k - 1], ends[k], less);
}

}  // namespace ts
