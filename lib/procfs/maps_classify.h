// maps_classify.h: naming each mapping text, data, bss, heap, stack, thread stack, library, ...
// A pure function of what the readers gathered, so it is tested on synthetic layouts without I/O.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/memory_map.h"
#include "procfs/maps_elf.h"
#include "procfs/maps_threads.h"

namespace ts {

// ClassifyInput is everything known about one process's address space.
struct ClassifyInput {
  int32_t pid = 0;
  std::vector<MemorySegment> segments;  // parsed maps lines in address order (rss/pss may be filled)
  std::string exe;                      // readlink of /proc/PID/exe; empty when unreadable
  std::optional<ElfImage> elf;          // the executable's headers; nullopt when unreadable
  AddressLayout layout;                 // from /proc/PID/stat; zeros when not permitted
  std::optional<ThreadSps> threads;     // nullopt when thread stack pointers were not read at all
  std::optional<GoroutineArena> goroutine_arena;  // published by a goro runtime; nullopt when none or unreadable
};

// classify() fills kind, library and tid on every segment:
//  - the executable's mappings (by path, else the one holding start_code): r-x text, rw data,
//    other readable ones rodata (including the RELRO part of the data PT_LOAD);
//  - anonymous mappings overlapping a PT_LOAD's [vaddr+filesz, vaddr+memsz) + bias: bss;
//  - [heap], [stack], [vdso], [vvar], [vvar_vclock], [vsyscall] by name;
//  - anonymous mappings inside the goro runtime's published G stack arena: goroutine-stack (guards
//    inside it too: the arena is one reservation); a thread whose sp is there is an M running a G;
//  - an anonymous mapping holding a thread's sp is that thread's own stack (thread-stack with its tid,
//    and the ---p mapping right below it: guard with the same tid) only when all of these hold, for a
//    sp proves only that the thread runs there, not that the mapping was made for it:
//      the thread is not the main thread (whose own stack is [stack]),
//      no other thread's sp is in the same mapping,
//      the part above the sp was touched (a stack fills from its top; when smaps tells residency, at
//      most kUntouchedStack of it may be neither resident nor swapped);
//    otherwise it stays anon and a note says who runs on it (coroutine stacks, a user-allocated stack);
//  - a file with an executable mapping, or named like "*.so" / "*.so.N": lib (library = base name);
//  - other file mappings: file; shared memory and [anon:name]: other; other anonymous: anon;
//  - any other inaccessible (---p) mapping: guard.
// When thread stacks cannot be told (threads unreadable, denied or running), a note says so.
Classified classify(const ClassifyInput& in);

// kUntouchedStack is how much of a thread stack above its sp may never have been touched (large
// local arrays left unwritten): glibc's default thread stack, 8 MiB.
inline constexpr uint64_t kUntouchedStack = uint64_t{8} << 20;

}  // namespace ts
