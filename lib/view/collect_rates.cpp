// collect_rates.cpp: run-queue delay rates, per-process sums and dying tasks (match_tasks(): one
// merge walk over two sorted snapshots).
#include "view/collect_rates.h"

namespace ts::view {

DelayRates run_delay_rates(const Snapshot& prev, const Snapshot& cur) {
  DelayRates out;
  if (!has(prev.fields, Field::Delay) || !has(cur.fields, Field::Delay) || cur.taken_ns <= prev.taken_ns) return out;
  const double ms = static_cast<double>(cur.taken_ns - prev.taken_ns) / 1e6;
  out.reserve(cur.task_count());
  match_tasks(
      prev, cur,
      [&](const Process&, const Task& a, const Task& b) {
        if (b.run_delay_ns >= a.run_delay_ns)
          out.emplace(b.tid, static_cast<double>(b.run_delay_ns - a.run_delay_ns) / 1e6 / ms * 1e3);
      },
      [](const Process&, const Task&) {});
  return out;
}

std::unordered_map<int32_t, ProcessRate> process_rates(const Snapshot& snap, const Rates& rates,
                                                       const DelayRates& delay) {
  std::unordered_map<int32_t, ProcessRate> out;
  out.reserve(snap.processes.size());
  for (const Process& p : snap.processes) {
    ProcessRate sum;
    for (const Task& t : p.tasks) {
      if (const auto r = rates.find(t.tid); r != rates.end()) {
        sum.cpu_pct += r->second.cpu_pct;
        sum.nvcsw_ps += r->second.nvcsw_ps;
        sum.nivcsw_ps += r->second.nivcsw_ps;
      }
      if (const auto d = delay.find(t.tid); d != delay.end()) sum.run_delay_ms_ps += d->second;
    }
    out.emplace(p.pid, sum);
  }
  return out;
}

std::vector<Process> dying(const Snapshot& prev, const Snapshot& cur) {
  std::vector<Process> out;
  const Process* open = nullptr;  // prev's process whose copy is out.back()
  match_tasks(
      prev, cur, [](const Process&, const Task&, const Task&) {},
      [&](const Process& p, const Task& t) {
        if (open != &p) {
          Process copy;
          copy.pid = p.pid;
          copy.ppid = p.ppid;
          copy.uid = p.uid;
          copy.user = p.user;
          copy.comm = p.comm;
          copy.cmdline = p.cmdline;
          copy.kthread = p.kthread;
          copy.rss_bytes = p.rss_bytes;
          copy.vsize_bytes = p.vsize_bytes;
          copy.nlwp = p.nlwp;
          copy.utime_ns = p.utime_ns;
          copy.stime_ns = p.stime_ns;
          copy.layout = p.layout;
          out.push_back(std::move(copy));
          open = &p;
        }
        out.back().tasks.push_back(t);
      });
  return out;
}

}  // namespace ts::view
