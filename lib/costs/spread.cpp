// spread.cpp: median and range of rounds.
#include "costs/spread.h"

#include <algorithm>

namespace ts::costs {

Spread spread_of(std::vector<double> v) {
  Spread s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.min = v.front();
  s.max = v.back();
  s.rounds = int(n);
  return s;
}

}  // namespace ts::costs
