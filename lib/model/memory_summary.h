// memory_summary.h: per-kind, per-library and thread-stack totals of a classified address space.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/memory_map.h"

namespace ts {

// KindTotal sums the mappings of one kind. Bytes; rss/pss are -1 when no mapping had them.
struct KindTotal {
  SegmentKind kind = SegmentKind::Other;
  size_t count = 0;
  uint64_t size = 0;
  int64_t rss = -1;
  int64_t pss = -1;
};

// LibraryTotal sums the mappings of one shared library (grouped by path).
struct LibraryTotal {
  std::string name;  // base name ("libc.so.6")
  std::string path;  // as maps shows it
  size_t mappings = 0;
  uint64_t size = 0;
  int64_t rss = -1;
  int64_t pss = -1;
};

// ThreadStackTotal is what the explainers point at: each thread reserves a stack of MBs but
// touches only a few pages of it. reserved counts each stack mapping plus its guard page.
struct ThreadStackTotal {
  size_t count = 0;
  uint64_t reserved = 0;
  uint64_t min_each = 0, max_each = 0;  // smallest and largest reservation
  int64_t resident = -1;
};

// GoroutineStackTotal is the goro runtime's G stack arena: one reservation for every goroutine's
// stack (a slot each), of which only the pages the Gs touched are resident.
struct GoroutineStackTotal {
  size_t gs = 0;          // live Gs, each on a slot of the arena
  size_t mappings = 0;    // mappings the arena shows as (1, or one per slot and guard when guards split it)
  uint64_t reserved = 0;  // bytes of those mappings
  int64_t resident = -1;  // resident bytes of those mappings; -1 when smaps was unreadable
  uint64_t slot_size = 0, guard_size = 0;  // as the runtime publishes them
};

// MapsSummary is the totals taskscope maps prints under its segment table.
struct MapsSummary {
  std::vector<KindTotal> kinds;          // kinds present, in SegmentKind order
  std::vector<LibraryTotal> libraries;   // in order of first mapping
  ThreadStackTotal thread_stacks;        // threads' own stacks (an M's pthread stack is one; G stacks are not)
  std::optional<GoroutineStackTotal> goroutine_stacks;  // when the goro runtime's arena was told apart
};

// summarize() totals a classified address space.
MapsSummary summarize(const Classified& c);

}  // namespace ts
