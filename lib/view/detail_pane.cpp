// detail_pane.cpp: one process: LWPs, charts, segments, events.
#include "view/detail_pane.h"

#include <cstdio>

#include "format/units.h"
#include "model/memory_summary.h"
#include "view/header.h"

namespace ts::view {

namespace {


Line text_line(std::string s, Style st = Style::Normal) {
  Line l;
  l.add(std::move(s), st);
  return l;
}

Line header(const std::string& s) {
  Line l = text_line(s, Style::Header);
  l.fill = Style::Header;
  return l;
}

std::string opt_bytes(int64_t v) { return v < 0 ? "-" : human_bytes(static_cast<uint64_t>(v)); }

void memory_lines(const ProcessMaps& pm, std::vector<Line>& out) {
  if (pm.size)
    out.push_back(text_line(strprintf("size: text %llu  data %llu  bss %llu  dec %llu  (%s)", (unsigned long long)pm.size->text,
                                (unsigned long long)pm.size->data, (unsigned long long)pm.size->bss,
                                (unsigned long long)pm.size->dec(), pm.map.exe_path.c_str())));
  const MapsSummary sum = summarize(pm.map);
  out.push_back(header(strprintf("%-14s %8s %9s %9s %9s", "KIND", "MAPPINGS", "SIZE", "RSS", "PSS")));
  for (const KindTotal& k : sum.kinds)
    out.push_back(text_line(strprintf("%-14s %8zu %9s %9s %9s", segment_kind_name(k.kind), k.count, human_bytes(k.size).c_str(),
                                opt_bytes(k.rss).c_str(), opt_bytes(k.pss).c_str())));
  if (pm.map.bss.size)
    out.push_back(text_line(strprintf("bss: %s at %s (%s in the data page, %s anonymous)", human_bytes(pm.map.bss.size).c_str(),
                                hex(pm.map.bss.start).c_str(), human_bytes(pm.map.bss.in_data_page).c_str(),
                                human_bytes(pm.map.bss.in_anonymous).c_str())));
  const ThreadStackTotal& ts = sum.thread_stacks;
  if (ts.count)
    out.push_back(text_line(strprintf("thread stacks: %zu, %s reserved, %s resident", ts.count, human_bytes(ts.reserved).c_str(),
                                opt_bytes(ts.resident).c_str())));
  for (const MemorySegment& s : pm.map.segments)
    if (s.kind == SegmentKind::ThreadStack || s.kind == SegmentKind::MainStack)
      out.push_back(text_line(strprintf("  %-12s tid %-8d %9s reserved %9s resident  %s", segment_kind_name(s.kind), s.tid,
                                  human_bytes(s.size()).c_str(), opt_bytes(s.rss_bytes).c_str(), hex(s.start).c_str())));
  if (sum.goroutine_stacks)
    out.push_back(text_line(strprintf("goroutine stacks: %zu Gs in %s reserved, %s resident", sum.goroutine_stacks->gs,
                                human_bytes(sum.goroutine_stacks->reserved).c_str(),
                                opt_bytes(sum.goroutine_stacks->resident).c_str())));
  for (const std::string& n : pm.map.notes) out.push_back(text_line("note: " + n, Style::Dim));
}

}  // namespace

std::vector<Line> detail_pane_lines(const Frame& f, const DetailInput& in, int width, bool utf8) {
  std::vector<Line> out;
  const Process* p = f.snap.find(in.pid);
  if (!p) {
    out.push_back(text_line(strprintf("pid %d has exited", in.pid), Style::Warning));
  } else {
    Line t;
    t.add(strprintf("pid %d", p->pid), Style::Title).add(" (" + safe_text(p->comm, utf8) + ")  ", Style::Title);
    t.add("user " + safe_text(p->user, utf8) + "  " + std::to_string(p->tasks.size()) + " LWPs  ppid " +
          std::to_string(p->ppid) + "  ");
    t.add(safe_text(p->cmdline, utf8), Style::Dim);
    out.push_back(std::move(t));
  }

  // Charts of its own series.
  if (in.history && in.history->pid() == in.pid) {
    const TopHistory& h = *in.history;
    const int w = width / 3;
    std::vector<std::vector<Line>> blocks{
        chart_lines(strprintf("CPU%% %.1f", h.proc_cpu().back()), h.proc_cpu(), 0, w - 1, 5, utf8),
        chart_lines("NVCSW/s " + per_second(h.proc_nvcsw().back()), h.proc_nvcsw(), 0, w - 1, 5, utf8, Style::ChartAlt),
        chart_lines("NIVCSW/s " + per_second(h.proc_nivcsw().back()), h.proc_nivcsw(), 0, width - 2 * w, 5, utf8)};
    for (Line& l : beside(blocks, {w, w, width - 2 * w})) out.push_back(std::move(l));
    if (f.goro.count(in.pid)) {
      const int half = width / 2;
      std::vector<std::vector<Line>> g{
          chart_lines(strprintf("runnable Gs %.0f", h.goro_runnable().back()), h.goro_runnable(), 0, half - 1, 5, utf8, Style::Goro),
          chart_lines("G switches/s " + per_second(h.goro_switches().back()), h.goro_switches(), 0, width - half, 5, utf8,
                      Style::Goro)};
      for (Line& l : beside(g, {half, width - half})) out.push_back(std::move(l));
    }
  }

  // Its LWPs, with their own rates.
  if (p) {
    out.push_back(Line{});
    out.push_back(header(strprintf("%8s %-16s %1s %6s %8s %9s %7s  %s", "TID", "THREAD", "S", "CPU%", "NVCSW/s", "NIVCSW/s", "DELAY",
                             "GORO")));
    for (const Task& t : p->tasks) {
      std::string cpu = "-", nv = "-", niv = "-", delay = "-";
      if (auto r = f.rates.find(t.tid); r != f.rates.end()) {
        cpu = strprintf("%.1f", r->second.cpu_pct);
        nv = per_second(r->second.nvcsw_ps);
        niv = per_second(r->second.nivcsw_ps);
      }
      if (auto d = f.run_delay_ms_ps.find(t.tid); d != f.run_delay_ms_ps.end() && has(f.snap.fields, Field::Delay))
        delay = strprintf("%.1f", d->second);
      Line l;
      l.add(strprintf("%8d ", t.tid)).add(fit(safe_text(t.comm, utf8), 16) + " ", Style::Thread);
      l.add(strprintf("%c %6s %8s %9s %7s  ", t.state, cpu.c_str(), nv.c_str(), niv.c_str(), delay.c_str()));
      if (in.labels)
        if (auto lb = in.labels->find(t.tid); lb != in.labels->end()) l.add(safe_text(lb->second, utf8), Style::Goro);
      out.push_back(std::move(l));
    }
  }

  // Its memory segments.
  out.push_back(Line{});
  out.push_back(text_line("Memory segments", Style::Title));
  if (!in.maps || in.maps->pid != in.pid) out.push_back(text_line("reading...", Style::Dim));
  else if (!in.maps->maps) out.push_back(text_line(safe_text(in.maps->error, utf8), Style::Warning));
  else {
    std::vector<Line> mem;
    memory_lines(*in.maps->maps, mem);
    for (Line& l : mem) {
      for (Span& s : l.spans) s.text = safe_text(s.text, utf8);
      out.push_back(std::move(l));
    }
  }

  // Its recent events.
  out.push_back(Line{});
  out.push_back(text_line("Events", Style::Title));
  if (!in.events || !in.events->on()) {
    out.push_back(text_line("(off: clone/exec/exit tracing needs BPF)", Style::Dim));
  } else {
    const auto evs = in.events->of(in.pid);
    if (evs.empty()) out.push_back(text_line("(none since top started)", Style::Dim));
    for (auto it = evs.rbegin(); it != evs.rend(); ++it) out.push_back(event_text_line(**it, in.wall_offset_ns, utf8));
  }
  for (Line& l : out) clip(l, width);
  return out;
}

}  // namespace ts::view
