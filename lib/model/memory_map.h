// memory_map.h: a process's classified address space, as the /proc readers fill it and views print it.
// Plain data: lib/procfs fills it (maps, smaps, stat, the ELF headers); tools print it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/segment.h"
#include "model/task.h"

namespace ts {

// SizeTotals is size(1)'s Berkeley line: text, data, bss in bytes.
struct SizeTotals {
  uint64_t text = 0, data = 0, bss = 0;
  // dec() is text + data + bss, the "dec" (and "hex") column.
  uint64_t dec() const { return text + data + bss; }
};

// BssPlacement says where the executable's bss lives: the kernel zero-fills the tail of the data
// mapping's last page and maps the rest anonymously right after it, rounded up to whole pages.
// Its parts add up: in_data_page + in_anonymous + unmapped == size, and the anonymous mappings hold
// in_anonymous bytes of bss plus (anonymous - in_anonymous) bytes past its end (page rounding).
struct BssPlacement {
  uint64_t start = 0, end = 0;  // [start, end): the bss in this address space (0, 0 when none)
  uint64_t size = 0;            // bytes of bss: p_memsz - p_filesz over the PT_LOADs (end - start for one)
  uint64_t in_data_page = 0;    // bytes of it inside the executable's data mapping (its last page's tail)
  uint64_t in_anonymous = 0;    // bytes of it inside the anonymous mappings classified as bss
  uint64_t unmapped = 0;        // bytes of it in neither (the process unmapped or remapped them)
  uint64_t anonymous = 0;       // bytes of the anonymous mappings classified as bss (whole pages)
};

// SmapsRollup is /proc/PID/smaps_rollup: the whole address space summed. Bytes, -1 when absent.
struct SmapsRollup {
  int64_t rss = -1;
  int64_t pss = -1;
  int64_t pss_anon = -1;
  int64_t pss_file = -1;
  int64_t swap = -1;
};

// GoroutineArena is the one reservation a goro runtime carves every G's stack from, as the runtime
// publishes it (goro/introspect_abi.h): slots of [guard | stack | G] laid out upward from lo.
struct GoroutineArena {
  uint64_t lo = 0, hi = 0;  // [lo, hi): the reserved arena
  uint64_t slot_size = 0;   // bytes per slot: guard + stack + the runtime's G struct
  uint64_t guard_size = 0;  // guard bytes at the bottom of each slot
  size_t gs = 0;            // live Gs when it was read (each holds one slot)
};

// Classified is the classified address space and what the user must be told about it.
struct Classified {
  std::vector<MemorySegment> segments;  // same mappings, kind/library/tid filled
  std::string exe_path;                 // the executable's path as maps shows it (may be empty)
  uint64_t load_bias = 0;               // where the executable's vaddr 0 was placed (0 for non-PIE)
  BssPlacement bss;
  std::optional<GoroutineArena> goroutine_arena;  // when a goro runtime published one that the maps hold
  std::vector<std::string> notes;       // one line each: what could not be told, and why
};

// VmStatus is the Vm* lines of /proc/PID/status (readable by anyone), in file order: what can be
// shown when the maps themselves are denied. Values in bytes.
struct VmStatus {
  std::vector<std::pair<std::string, uint64_t>> lines;  // ("VmSize", 1234567), ...
};

// ProcessMaps is one process's classified address space and everything that came with it.
struct ProcessMaps {
  int32_t pid = 0;
  std::string comm;                    // from /proc/PID/comm ("" when unreadable)
  Classified map;                      // classified segments, bss placement, notes
  AddressLayout layout;                // stat's fields; brk is the end of the [heap] mapping (page-rounded),
                                       // or start_brk when there is none
  std::optional<SmapsRollup> rollup;   // nullopt when smaps_rollup was unreadable
  std::optional<SizeTotals> size;      // size(1)'s figures for the executable; nullopt when unreadable
};

}  // namespace ts
