// switch_cache.cpp: SwitchCache (see switch_cache.h for why a task that has not run needs no read).
#include "procfs/switch_cache.h"

#include <iterator>

namespace ts::procfs {

void SwitchCache::begin_pass() {
  if (pass_ > 0) std::erase_if(entries_, [this](const auto& kv) { return kv.second.pass != pass_; });
  ++pass_;
}

const Switches* SwitchCache::lookup(int32_t tid, uint64_t start, const SchedStat& now) {
  auto it = entries_.find(tid);
  if (it == entries_.end()) return nullptr;
  Entry& e = it->second;
  e.pass = pass_;
  if (e.start != start || e.cpu_ns != now.cpu_ns || e.pcount != now.pcount) return nullptr;
  return e.confirmed ? &e.counts : nullptr;
}

void SwitchCache::store(int32_t tid, uint64_t start, const SchedStat& now, const Switches& counts) {
  ++status_reads_;
  Entry& e = entries_[tid];
  // Unchanged schedstat since the previous read of this task: these counts were read after it
  // stopped running, so they hold every switch it made.
  e.confirmed = e.pass != 0 && e.start == start && e.cpu_ns == now.cpu_ns && e.pcount == now.pcount;
  e.start = start;
  e.cpu_ns = now.cpu_ns;
  e.pcount = now.pcount;
  e.counts = counts;
  e.pass = pass_;
}

}  // namespace ts::procfs
