// heap_trim.cpp: HeapTrim (see heap_trim.h).
#include "sys/heap_trim.h"

#include <malloc.h>

#include <algorithm>

namespace ts::sys {

bool HeapTrim::after(size_t tasks) {
  if (due_) {
    due_ = false;
    peak_ = tasks;
    malloc_trim(0);
    return true;
  }
  peak_ = std::max(peak_, tasks);
  due_ = tasks * 4 < peak_ * 3;
  return false;
}

}  // namespace ts::sys
