// maps_smaps.h: per-mapping Rss/Pss from /proc/PID/smaps and totals from smaps_rollup.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "model/memory_map.h"

namespace ts {

// SmapsEntry is the part of one smaps record taskscope shows. Bytes.
struct SmapsEntry {
  uint64_t start = 0, end = 0;  // the mapping, as its header line gives it
  int64_t rss = -1;             // Rss; -1 when the record had no Rss line
  int64_t pss = -1;             // Pss; -1 when the record had no Pss line
  int64_t swap = -1;            // Swap; -1 when the record had no Swap line
};

// parse_smaps() parses /proc/PID/smaps text: one entry per header line, with the Rss, Pss and Swap lines
// that follow it. Malformed lines are skipped.
std::vector<SmapsEntry> parse_smaps(std::string_view text);

// parse_smaps_rollup() parses /proc/PID/smaps_rollup text (its "Key: N kB" lines).
SmapsRollup parse_smaps_rollup(std::string_view text);

// apply_smaps() copies rss/pss/swap onto the segments whose [start, end) matches an entry exactly.
// Both vectors are in address order (as the kernel writes them); segments with no match keep -1.
void apply_smaps(std::vector<MemorySegment>& segs, const std::vector<SmapsEntry>& entries);

}  // namespace ts
