// snapshot.cpp: lookups in a Snapshot and the diff of two Snapshots into rates.
#include "model/snapshot.h"

#include <algorithm>

namespace ts {

const Process* Snapshot::find(int32_t pid) const {
  auto it = std::lower_bound(processes.begin(), processes.end(), pid,
                             [](const Process& p, int32_t v) { return p.pid < v; });
  return it != processes.end() && it->pid == pid ? &*it : nullptr;
}

size_t Snapshot::task_count() const {
  size_t n = 0;
  for (const Process& p : processes) n += p.tasks.size();
  return n;
}

Rates diff(const Snapshot& prev, const Snapshot& cur) {
  Rates out;
  if (cur.taken_ns <= prev.taken_ns) return out;
  const double secs = static_cast<double>(cur.taken_ns - prev.taken_ns) / 1e9;
  out.reserve(cur.task_count());
  // A reused tid is a different task: match_tasks() never pairs it, so no rate spans it.
  match_tasks(
      prev, cur,
      [&](const Process&, const Task& b, const Task& t) {
        const uint64_t cpu0 = b.utime_ns + b.stime_ns, cpu1 = t.utime_ns + t.stime_ns;
        if (cpu1 < cpu0 || t.nvcsw < b.nvcsw || t.nivcsw < b.nivcsw) return;
        TaskRate r;
        r.cpu_pct = static_cast<double>(cpu1 - cpu0) / 1e9 / secs * 100.0;
        r.nvcsw_ps = static_cast<double>(t.nvcsw - b.nvcsw) / secs;
        r.nivcsw_ps = static_cast<double>(t.nivcsw - b.nivcsw) / secs;
        out.emplace(t.tid, r);
      },
      [](const Process&, const Task&) {});
  return out;
}

}  // namespace ts
