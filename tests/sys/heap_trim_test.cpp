// heap_trim_test.cpp: when HeapTrim gives the heap back.
#include <catch2/catch.hpp>

#include "sys/heap_trim.h"

using ts::sys::HeapTrim;

TEST_CASE("HeapTrim trims one frame after the task count fell below 3/4 of its peak, then tracks a new peak", "[sys]") {
  HeapTrim t;
  CHECK_FALSE(t.after(2000));
  CHECK_FALSE(t.after(23000));  // a burst
  CHECK_FALSE(t.after(20000));  // 87% of the peak: not a fall yet
  CHECK_FALSE(t.after(2100));   // fell: the big frames are still held this frame
  CHECK(t.after(2100));         // the next frame trims
  CHECK_FALSE(t.after(2050));   // the peak is now 2100: small moves never trim
  CHECK_FALSE(t.after(2100));
  CHECK_FALSE(t.after(1600));   // 3/4 of 2100 is 1575: not a fall
  CHECK_FALSE(t.after(1500));   // below: due
  CHECK(t.after(1500));
}

TEST_CASE("HeapTrim never trims while the task count only grows or holds", "[sys]") {
  HeapTrim t;
  for (size_t n = 100; n < 100000; n += 997) CHECK_FALSE(t.after(n));
  for (int i = 0; i < 100; ++i) CHECK_FALSE(t.after(100000));
}
