// memory_summary.cpp: totals over classified segments.
#include "model/memory_summary.h"

#include <algorithm>
#include <map>

namespace ts {

namespace {

void add(int64_t& total, int64_t v) {
  if (v < 0) return;
  total = total < 0 ? v : total + v;
}

}  // namespace

MapsSummary summarize(const Classified& c) {
  const std::vector<MemorySegment>& segs = c.segments;
  MapsSummary s;
  std::map<SegmentKind, KindTotal> kinds;
  std::map<int32_t, uint64_t> stack_of;  // tid -> reserved bytes (stack + guard)
  for (const MemorySegment& m : segs) {
    KindTotal& k = kinds[m.kind];
    k.kind = m.kind;
    ++k.count;
    k.size += m.size();
    add(k.rss, m.rss_bytes);
    add(k.pss, m.pss_bytes);
    if (m.kind == SegmentKind::SharedLib) {
      auto it = std::find_if(s.libraries.begin(), s.libraries.end(), [&](const LibraryTotal& l) { return l.path == m.path; });
      if (it == s.libraries.end()) {
        s.libraries.push_back(LibraryTotal{m.library, m.path});
        it = s.libraries.end() - 1;
      }
      ++it->mappings;
      it->size += m.size();
      add(it->rss, m.rss_bytes);
      add(it->pss, m.pss_bytes);
    }
    if (m.tid != 0 && (m.kind == SegmentKind::ThreadStack || m.kind == SegmentKind::Guard)) stack_of[m.tid] += m.size();
    if (m.kind == SegmentKind::ThreadStack) {
      ++s.thread_stacks.count;
      add(s.thread_stacks.resident, m.rss_bytes);
    }
    if (m.kind == SegmentKind::GoroutineStack && c.goroutine_arena) {
      if (!s.goroutine_stacks)
        s.goroutine_stacks = GoroutineStackTotal{.gs = c.goroutine_arena->gs, .slot_size = c.goroutine_arena->slot_size,
                                                 .guard_size = c.goroutine_arena->guard_size};
      ++s.goroutine_stacks->mappings;
      s.goroutine_stacks->reserved += m.size();
      add(s.goroutine_stacks->resident, m.rss_bytes);
    }
  }
  for (auto& [kind, total] : kinds) s.kinds.push_back(total);
  bool first = true;
  for (auto& [tid, bytes] : stack_of) {
    s.thread_stacks.reserved += bytes;
    s.thread_stacks.min_each = first ? bytes : std::min(s.thread_stacks.min_each, bytes);
    s.thread_stacks.max_each = first ? bytes : std::max(s.thread_stacks.max_each, bytes);
    first = false;
  }
  return s;
}

}  // namespace ts
