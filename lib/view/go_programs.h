// go_programs.h: the Go programs whose G/M/P a collector that records or exports reads each pass
// (Collector::set_gmp_pids()): every one the frame saw, up to a bound. top asks only for those on
// screen; `record` and `export` have no screen, so they ask for all, bounded.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "view/frame.h"

namespace ts::view {

// kMaxGoPrograms bounds the Go programs read a pass (each costs reads of the program's memory).
inline constexpr size_t kMaxGoPrograms = 32;

// go_programs() lists, in pid order, the first kMaxGoPrograms processes `f` found running Go.
std::vector<int32_t> go_programs(const Frame& f);

}  // namespace ts::view
