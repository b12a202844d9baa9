// segment.cpp: names of segment kinds.
#include "model/segment.h"

namespace ts {

const char* segment_kind_name(SegmentKind k) {
  switch (k) {
    case SegmentKind::Text: return "text";
    case SegmentKind::Rodata: return "rodata";
    case SegmentKind::Data: return "data";
    case SegmentKind::Bss: return "bss";
    case SegmentKind::Heap: return "heap";
    case SegmentKind::MainStack: return "stack";
    case SegmentKind::ThreadStack: return "thread-stack";
    case SegmentKind::GoroutineStack: return "goroutine-stack";
    case SegmentKind::SharedLib: return "lib";
    case SegmentKind::AnonMmap: return "anon";
    case SegmentKind::FileMmap: return "file";
    case SegmentKind::Vdso: return "vdso";
    case SegmentKind::Vvar: return "vvar";
    case SegmentKind::Vsyscall: return "vsyscall";
    case SegmentKind::Guard: return "guard";
    case SegmentKind::Other: return "other";
  }
  return "other";
}

}  // namespace ts
