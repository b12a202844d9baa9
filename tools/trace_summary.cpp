// trace_summary.cpp: the per-thread table and histograms of `trace sched --summary`.
#include "trace_summary.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "format/table.h"
#include "format/units.h"
#include "sys/text.h"

namespace ts::tools {

namespace {

uint64_t switches(const ThreadSchedStats& s) { return s.nvcsw + s.nivcsw; }

void busiest_first(std::vector<ThreadSchedStats>& v) {
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return switches(a) > switches(b); });
}

std::string mean_text(const Log2Hist& h) {
  const uint64_t m = hist_mean_ns(h);
  return h.total() ? "~" + short_duration(m) : "-";
}

uint64_t slot_low(size_t i) { return i == 0 ? 0 : uint64_t{1} << i; }

}  // namespace

uint64_t hist_mean_ns(const Log2Hist& h) {
  long double sum = 0;
  uint64_t n = 0;
  for (size_t i = 0; i < h.slots.size(); ++i) {
    const long double mid = i == 0 ? 1 : 1.5L * static_cast<long double>(uint64_t{1} << i);
    sum += mid * static_cast<long double>(h.slots[i]);
    n += h.slots[i];
  }
  return n ? static_cast<uint64_t>(sum / n) : 0;
}

void print_sched_table(std::ostream& out, std::vector<ThreadSchedStats> stats) {
  busiest_first(stats);
  Table t({{"PID"}, {"TID"}, {"COMM", Align::Left}, {"NVCSW"}, {"NIVCSW"}, {"ON-CPU(avg)"}, {"OFF-CPU(avg)"},
           {"RUNQ(avg)"}});
  for (const auto& s : stats)
    t.add({std::to_string(s.pid), std::to_string(s.tid), s.comm, std::to_string(s.nvcsw), std::to_string(s.nivcsw),
           mean_text(s.oncpu), mean_text(s.offcpu), mean_text(s.runq)});
  t.print(out);
}

void print_log2_hist(std::ostream& out, const Log2Hist& h, const char* title) {
  size_t first = 0, last = 0;
  uint64_t max = 0;
  bool any = false;
  for (size_t i = 0; i < h.slots.size(); ++i) {
    if (!h.slots[i]) continue;
    if (!any) first = i;
    any = true;
    last = i;
    max = std::max(max, h.slots[i]);
  }
  if (!any) return;
  out << "    " << title << '\n';
  constexpr int kWidth = 40;
  char line[160];
  for (size_t i = first; i <= last; ++i) {
    const std::string lo = short_duration(slot_low(i));
    const std::string hi = short_duration((uint64_t{1} << (i + 1)) - 1);
    const int bar = static_cast<int>(h.slots[i] * kWidth / max);
    std::snprintf(line, sizeof line, "    %9s -> %-9s : %-9" PRIu64 " |%-*s|\n", lo.c_str(), hi.c_str(), h.slots[i], kWidth,
                  std::string(static_cast<size_t>(bar), '*').c_str());
    out << line;
  }
}

void print_sched_hists(std::ostream& out, std::vector<ThreadSchedStats> stats, size_t top) {
  busiest_first(stats);
  for (size_t i = 0; i < stats.size() && i < top; ++i) {
    const auto& s = stats[i];
    out << "\ntid " << s.tid << " (" << sys::printable(s.comm) << ", pid " << s.pid << "): nvcsw " << s.nvcsw
        << " (voluntary), nivcsw " << s.nivcsw << " (involuntary)\n";
    print_log2_hist(out, s.oncpu, "on-CPU time per run");
    print_log2_hist(out, s.offcpu, "off-CPU time per pause");
    print_log2_hist(out, s.runq, "run-queue latency (wakeup or preemption -> running)");
  }
}

nlohmann::json thread_stats_json(const ThreadSchedStats& s) {
  return {{"type", "thread_sched"}, {"pid", s.pid}, {"tid", s.tid}, {"comm", s.comm},
          {"nvcsw", s.nvcsw}, {"nivcsw", s.nivcsw}, {"oncpu_log2_ns", s.oncpu.slots},
          {"offcpu_log2_ns", s.offcpu.slots}, {"runq_log2_ns", s.runq.slots}};
}

}  // namespace ts::tools
