// render.cpp: one walk per family over the frame's processes (a family's samples must be
// contiguous), each process's label text built once.
#include "export/render.h"

#include <algorithm>
#include <charconv>

#include "model/gmp.h"

namespace ts::exporter {

namespace {

// secs() is ns in seconds: a division, so whole and half seconds stay exact (1.5, not 1.5000000000000002).
double secs(uint64_t ns) { return static_cast<double>(ns) / 1e9; }

// Row is one exported process: its label prefix and its threads' sums.
struct Row {
  const Process* p = nullptr;
  std::string labels;  // pid="..",comm=".."[,runtime=".."]
  uint64_t nvcsw = 0, nivcsw = 0, run_delay_ns = 0;
};

std::string num(int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::vector<Row> rows_of(const view::Frame& f) {
  std::vector<Row> rows;
  rows.reserve(f.snap.processes.size());
  for (const Process& p : f.snap.processes) {
    if (p.kthread) continue;
    Row r;
    r.p = &p;
    const std::string pid = num(p.pid);
    auto rt = f.runtimes.find(p.pid);
    r.labels = rt == f.runtimes.end() ? labels_text({{"pid", pid}, {"comm", p.comm}})
                                      : labels_text({{"pid", pid}, {"comm", p.comm}, {"runtime", rt->second}});
    for (const Task& t : p.tasks) {
      r.nvcsw += t.nvcsw;
      r.nivcsw += t.nivcsw;
      r.run_delay_ns += t.run_delay_ns;
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

void process_series(MetricWriter& w, const std::vector<Row>& rows) {
  w.family("taskscope_process_cpu_seconds", Kind::Counter, "seconds",
           "CPU time of the process, its exited threads included, by mode");
  for (const Row& r : rows) {
    w.sample(r.labels, {{"mode", "user"}}, secs(r.p->utime_ns));
    w.sample(r.labels, {{"mode", "system"}}, secs(r.p->stime_ns));
  }
  w.family("taskscope_process_resident_memory_bytes", Kind::Gauge, "bytes", "resident set size (VmRSS)");
  for (const Row& r : rows) w.sample(r.labels, {}, static_cast<double>(r.p->rss_bytes));
  w.family("taskscope_process_threads", Kind::Gauge, "", "threads (LWPs) of the process");
  for (const Row& r : rows) w.sample(r.labels, {}, static_cast<double>(r.p->nlwp));
  w.family("taskscope_process_context_switches", Kind::Counter, "",
           "context switches summed over the live threads (a thread's exit lowers it: rate() counts a reset)");
  for (const Row& r : rows) {
    w.sample(r.labels, {{"kind", "voluntary"}}, static_cast<double>(r.nvcsw));
    w.sample(r.labels, {{"kind", "involuntary"}}, static_cast<double>(r.nivcsw));
  }
  w.family("taskscope_process_run_queue_delay_seconds", Kind::Counter, "seconds",
           "time the live threads waited on a run queue (schedstats; 0 when the source cannot read it)");
  for (const Row& r : rows) w.sample(r.labels, {}, secs(r.run_delay_ns));
}

void event_series(MetricWriter& w, const view::Frame& f, const EventTotals& t) {
  w.family("taskscope_clones", Kind::Counter, "", "tasks created machine-wide since export began, by what the clone made");
  for (const auto& [verdict, n] : t.clones) w.sample({{"verdict", verdict}}, static_cast<double>(n));
  w.family("taskscope_execs", Kind::Counter, "", "execve calls machine-wide since export began");
  w.sample({}, static_cast<double>(t.execs));
  w.family("taskscope_exits", Kind::Counter, "", "task exits machine-wide since export began (scope=process: a process's last task)");
  w.sample({{"scope", "task"}}, static_cast<double>(t.exits));
  w.sample({{"scope", "process"}}, static_cast<double>(t.process_exits));
  w.family("taskscope_events_lost", Kind::Counter, "", "clone/exec/exit events the kernel's ring buffer dropped");
  w.sample({}, static_cast<double>(f.events_lost));
  w.family("taskscope_events_enabled", Kind::Gauge, "", "1 when the clone/exec/exit tracer runs (BPF), else 0");
  w.sample({}, f.events_on ? 1 : 0);
}

void gmp_series(MetricWriter& w, const view::Frame& f, const std::vector<Row>& rows) {
  // Only processes in the snapshot: a runtime whose process has gone has no comm to label it with.
  std::vector<std::pair<const Row*, const GoroSnapshot*>> runs;
  for (const Row& r : rows) {
    auto g = f.goro.find(r.p->pid);
    if (g != f.goro.end()) runs.emplace_back(&r, &g->second);
  }
  w.family("taskscope_goroutines", Kind::Gauge, "", "goroutines (goro or Go Gs) by scheduler state");
  for (const auto& [r, g] : runs) {
    uint64_t n[6] = {};
    for (const GoroG& gg : g->gs) {
      const auto s = static_cast<size_t>(gg.state);
      if (s < 6) ++n[s];
    }
    for (size_t s = 0; s < 6; ++s) {
      if (static_cast<GState>(s) == GState::Dead) continue;
      w.sample(r->labels, {{"state", gstate_name(static_cast<GState>(s))}}, static_cast<double>(n[s]));
    }
  }
  w.family("taskscope_gmp_run_queue_length", Kind::Gauge, "",
           "Gs waiting in a P's local run queue (runnext included); p=\"global\": the global run queue");
  for (const auto& [r, g] : runs) {
    for (const GoroP& p : g->ps) {
      if (p.status == PStatus::Dead) continue;
      w.sample(r->labels, {{"p", num(p.id)}}, static_cast<double>(p.runq_len));
    }
    w.sample(r->labels, {{"p", "global"}}, static_cast<double>(g->global_runq_len));
  }
}

void thread_series(MetricWriter& w, const view::Frame& f, size_t n) {
  struct Hot {
    const Process* p;
    const Task* t;
    double cpu;
  };
  std::vector<Hot> hot;
  for (const Process& p : f.snap.processes) {
    if (p.kthread) continue;
    for (const Task& t : p.tasks) {
      auto r = f.rates.find(t.tid);
      hot.push_back({&p, &t, r == f.rates.end() ? 0.0 : r->second.cpu_pct});
    }
  }
  n = std::min(n, hot.size());
  // The busiest first; ties (idle threads) by tid, so a quiet machine's page is stable.
  auto busier = [](const Hot& a, const Hot& b) { return a.cpu != b.cpu ? a.cpu > b.cpu : a.t->tid < b.t->tid; };
  std::partial_sort(hot.begin(), hot.begin() + static_cast<std::ptrdiff_t>(n), hot.end(), busier);
  hot.resize(n);
  std::sort(hot.begin(), hot.end(), [](const Hot& a, const Hot& b) { return a.t->tid < b.t->tid; });
  std::vector<std::string> labels;
  labels.reserve(n);
  for (const Hot& h : hot)
    labels.push_back(labels_text({{"pid", num(h.p->pid)}, {"tid", num(h.t->tid)}, {"comm", h.t->comm}}));
  w.family("taskscope_thread_cpu_seconds", Kind::Counter, "seconds",
           "CPU time of the threads with the most CPU in the last interval (--threads=top:N), by mode");
  for (size_t i = 0; i < n; ++i) {
    w.sample(labels[i], {{"mode", "user"}}, secs(hot[i].t->utime_ns));
    w.sample(labels[i], {{"mode", "system"}}, secs(hot[i].t->stime_ns));
  }
  w.family("taskscope_thread_context_switches", Kind::Counter, "", "context switches of those threads");
  for (size_t i = 0; i < n; ++i) {
    w.sample(labels[i], {{"kind", "voluntary"}}, static_cast<double>(hot[i].t->nvcsw));
    w.sample(labels[i], {{"kind", "involuntary"}}, static_cast<double>(hot[i].t->nivcsw));
  }
}

}  // namespace

std::string render_metrics(const view::Frame& f, const EventTotals& totals, const RenderOptions& opts, Format fmt) {
  const std::vector<Row> rows = rows_of(f);
  std::string out;
  out.reserve(512 + rows.size() * 900);
  MetricWriter w(out, fmt);
  w.family("taskscope_processes", Kind::Gauge, "", "user-space processes in the last collection");
  w.sample({}, static_cast<double>(rows.size()));
  process_series(w, rows);
  event_series(w, f, totals);
  gmp_series(w, f, rows);
  if (opts.top_threads > 0) thread_series(w, f, opts.top_threads);
  w.family("taskscope_collect_seconds", Kind::Gauge, "seconds", "wall time the last collection pass took");
  w.sample({}, secs(f.collect_ns));
  w.finish();
  return out;
}

}  // namespace ts::exporter
