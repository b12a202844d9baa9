// heap_trim.h: giving the heap back to the system after the machine's task count fell, for the
// programs that run for hours (top, record, export).
//
// A frame holds a row per task; after a burst of tasks (a build, a 20k-thread test) the freed rows
// stay in glibc's arenas: top measured 51 MB at 2k tasks before a burst to 23k and 104 MB at 2k
// tasks after it, flat for the hour that followed. malloc_trim(3) returns what is free.
#pragma once
#include <cstddef>

namespace ts::sys {

// HeapTrim decides when to trim. One per loop; not thread-safe.
class HeapTrim {
 public:
  // after() is told the task count of each frame the loop took. Once a frame has fewer than 3/4 of
  // the most tasks seen since the last trim, the NEXT frame's call trims (by then the big frames
  // the loop and the collector still held are gone), and the peak starts again from that count.
  // Returns whether it trimmed.
  bool after(size_t tasks);

 private:
  size_t peak_ = 0;
  bool due_ = false;
};

}  // namespace ts::sys
