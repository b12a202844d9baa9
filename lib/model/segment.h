// segment.h: MemorySegment, one mapping of a process's address space, classified.
#pragma once
#include <cstdint>
#include <string>

namespace ts {

// SegmentKind is what a mapping is for, in the words of "a process has text, data, bss, heap, stack".
enum class SegmentKind {
  Text,         // the executable's code (r-x, file-backed by the main binary)
  Rodata,       // the executable's read-only data
  Data,         // the executable's initialised data (file-backed part of the rw- PT_LOAD)
  Bss,          // zero-initialised data: where a PT_LOAD's memsz exceeds its filesz
  Heap,         // [heap]: start_brk .. brk
  MainStack,    // [stack] of the main thread
  ThreadStack,  // a thread's own stack: an anonymous mapping holding its stack pointer, filled from the top
  GoroutineStack,  // the goro runtime's G stack arena (every goroutine's stack, one reservation)
  SharedLib,    // a mapping of a shared library (see MemorySegment::library)
  AnonMmap,     // any other anonymous mapping
  FileMmap,     // any other file mapping
  Vdso,         // [vdso]
  Vvar,         // [vvar] and [vvar_vclock]
  Vsyscall,     // [vsyscall]
  Guard,        // an inaccessible (---p) mapping, usually a guard page
  Other,        // anything else ([anon:...] names, shared memory)
};

// segment_kind_name() returns the lower-case name used in tables and JSON ("text", "thread-stack", ...).
const char* segment_kind_name(SegmentKind k);

// MemorySegment is one line of /proc/PID/maps, classified. Sizes in bytes.
struct MemorySegment {
  uint64_t start = 0, end = 0;    // [start, end)
  std::string perms;              // "r-xp" as in maps
  uint64_t offset = 0;            // file offset
  uint64_t inode = 0;
  std::string path;               // pathname field, empty for anonymous
  SegmentKind kind = SegmentKind::Other;
  std::string library;            // for SharedLib: the library's base name ("libc.so.6")
  int32_t tid = 0;                // for ThreadStack: the thread whose stack it is (0 unknown)
  int64_t rss_bytes = -1;         // resident, from smaps; -1 when unreadable
  int64_t pss_bytes = -1;         // proportional set size, from smaps; -1 when unreadable
  int64_t swap_bytes = -1;        // swapped out, from smaps; -1 when unreadable

  // size() is end - start.
  uint64_t size() const { return end - start; }
};

}  // namespace ts
