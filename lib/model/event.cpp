// event.cpp: the little arithmetic events carry.
#include "model/event.h"

#include <numeric>

namespace ts {

uint64_t Log2Hist::total() const { return std::accumulate(slots.begin(), slots.end(), uint64_t{0}); }

}  // namespace ts
