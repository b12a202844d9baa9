// spread.h: Spread, what a figure measured over several rounds is reported as.
#pragma once
#include <vector>

#include "sys/clock.h"

namespace ts::costs {

// Spread is a per-unit figure over rounds: the median and the fastest and slowest round.
struct Spread {
  double median = 0, min = 0, max = 0;
  int rounds = 0;  // 0 when nothing was measured

  // valid() tells whether any round was measured.
  bool valid() const { return rounds > 0; }
  // spread_pct() is half the min..max range as a percentage of the median (0 without rounds).
  double spread_pct() const { return median > 0 ? 50.0 * (max - min) / median : 0; }
};

// spread_of() summarises per-round values; an empty list gives an invalid Spread.
Spread spread_of(std::vector<double> per_round);

// timed_rounds() runs `body` (which does `units` units of work) once to warm up, then `rounds`
// times, and returns each measured round's ns per unit. The clock is read twice per round, so
// its own cost (clock_ns() in the report) is spread over `units`.
template <class Body>
std::vector<double> timed_rounds(int rounds, int units, Body body) {
  std::vector<double> out;
  body();
  for (int r = 0; r < rounds; ++r) {
    const uint64_t t0 = sys::monotonic_ns();
    body();
    out.push_back(double(sys::monotonic_ns() - t0) / units);
  }
  return out;
}

}  // namespace ts::costs
