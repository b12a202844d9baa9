// header.cpp: htop's meters and gotop's graphs as lines.
#include "view/header.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "format/units.h"
#include "view/chart.h"

namespace ts::view {

namespace {


std::string uptime_text(double s) {
  const uint64_t t = static_cast<uint64_t>(s);
  const uint64_t days = t / 86400;
  std::string out = days ? strprintf("%" PRIu64 " day%s, ", days, days == 1 ? "" : "s") : "";
  return out + strprintf("%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, t / 3600 % 24, t / 60 % 60, t % 60);
}

Line cpu_meter(const std::string& label, const CpuShare& c, int width) {
  const MeterPart parts[] = {{c.nice / 100, Style::MeterNice},       {c.user / 100, Style::MeterUser},
                             {c.system / 100, Style::MeterSystem},   {c.irq / 100, Style::MeterIrq},
                             {c.softirq / 100, Style::MeterSoftirq}, {c.steal / 100, Style::MeterSteal},
                             {c.guest / 100, Style::MeterGuest}};
  return meter_line(label, parts, strprintf("%.1f%%", c.busy()), width);
}

std::vector<Line> left_block(const Frame& f, int width) {
  std::vector<Line> out;
  const MachineRates& r = f.machine_rates;
  const size_t n = r.cpus.size();
  if (n == 0) {
    out.push_back(cpu_meter("CPU", r.all, width));
  } else if (n <= 4 || width < 40) {
    for (size_t i = 0; i < n; ++i) out.push_back(cpu_meter(std::to_string(r.cpu_ids[i]), r.cpus[i], width));
  } else {
    const int half = width / 2;
    for (size_t i = 0; i < n; i += 2) {
      Line l = cpu_meter(std::to_string(r.cpu_ids[i]), r.cpus[i], half);
      if (i + 1 < n) {
        l.add(" ");
        for (Span& s : cpu_meter(std::to_string(r.cpu_ids[i + 1]), r.cpus[i + 1], width - half - 1).spans)
          l.spans.push_back(std::move(s));
      }
      out.push_back(std::move(l));
    }
  }
  const MachineSample& m = f.machine;
  const double total = m.mem_total ? static_cast<double>(m.mem_total) : 1;
  const MeterPart mem[] = {{static_cast<double>(m.mem_used()) / total, Style::MemUsed},
                           {static_cast<double>(m.mem_buffers) / total, Style::MemBuffers},
                           {static_cast<double>(m.mem_cached) / total, Style::MemCache}};
  out.push_back(meter_line("Mem", mem, human_bytes(m.mem_used()) + "/" + human_bytes(m.mem_total), width));
  const uint64_t swap_used = m.swap_total > m.swap_free ? m.swap_total - m.swap_free : 0;
  const MeterPart swp[] = {{m.swap_total ? static_cast<double>(swap_used) / static_cast<double>(m.swap_total) : 0,
                            Style::SwapUsed}};
  out.push_back(meter_line("Swp", swp, human_bytes(swap_used) + "/" + human_bytes(m.swap_total), width));
  return out;
}

std::vector<Line> right_block(const Frame& f) {
  std::vector<Line> out;
  const TaskCounts t = task_counts(f);
  Line tasks;
  tasks.add("Tasks: ", Style::Label).add(std::to_string(t.processes), Style::Value).add(", ");
  tasks.add(std::to_string(t.threads), Style::Value).add(" thr, ");
  tasks.add(std::to_string(t.kthreads), Style::Value).add(" kthr; ");
  tasks.add(std::to_string(t.running), Style::Value).add(" running");
  out.push_back(std::move(tasks));
  Line load;
  load.add("Load average: ", Style::Label).add(strprintf("%.2f %.2f %.2f", f.machine.load1, f.machine.load5, f.machine.load15), Style::Value);
  out.push_back(std::move(load));
  Line up;
  up.add("Uptime: ", Style::Label).add(uptime_text(f.machine.uptime_s), Style::Value);
  out.push_back(std::move(up));
  Line rates;
  rates.add("Ctxt/s: ", Style::Label).add(per_second(f.machine_rates.ctxt_ps), Style::Value);
  if (f.events_on && f.clones_known) {
    rates.add("  Clones/s: ", Style::Label).add(per_second(f.clones_ps), Style::Value).add(" proc ");
    rates.add(per_second(f.threads_ps), Style::Value).add(" thr");
  } else {
    rates.add("  Forks/s: ", Style::Label).add(per_second(f.machine_rates.forks_ps), Style::Value);
  }
  out.push_back(std::move(rates));
  return out;
}

}  // namespace

Line meter_line(std::string_view label, std::span<const MeterPart> parts, const std::string& text, int width) {
  Line l;
  l.add(fit(label, 3, true), Style::Label).add("[", Style::Dim);
  const int bar = std::max(0, width - 5);
  std::vector<double> fr;
  for (const MeterPart& p : parts) fr.push_back(p.fraction);
  std::vector<int> cells = meter_cells(fr, bar);
  const int tw = std::min(cell_width(text), bar);
  const std::string shown = text.substr(text.size() - static_cast<size_t>(tw));  // ASCII text
  // Runs of cells of one part, then the text over the bar's right end.
  int i = 0;
  while (i < bar - tw) {
    const int part = cells[size_t(i)];
    int j = i;
    while (j < bar - tw && cells[size_t(j)] == part) ++j;
    l.add(std::string(size_t(j - i), part < 0 ? ' ' : '|'), part < 0 ? Style::Normal : parts[size_t(part)].style);
    i = j;
  }
  l.add(shown, Style::Dim).add("]", Style::Dim);
  return l;
}

TaskCounts task_counts(const Frame& f) {
  TaskCounts t;
  for (const Process& p : f.snap.processes) {
    if (p.kthread) {
      ++t.kthreads;
      continue;
    }
    ++t.processes;
    t.threads += p.tasks.size();
  }
  t.running = f.machine.procs_running;
  return t;
}

std::vector<Line> header_lines(const Frame& f, const std::string& source, int width, bool utf8) {
  std::vector<Line> out;
  if (width >= 60) {
    const int lw = width / 2;
    out = beside({left_block(f, lw - 1), right_block(f)}, {lw, width - lw});
  } else {
    out = left_block(f, width);
    for (Line& l : right_block(f)) out.push_back(std::move(l));
  }
  std::string notes = "source: " + source;
  for (const std::string& n : f.notes) notes += "; " + n;
  Line nl;
  nl.add(safe_text(notes, utf8), f.notes.empty() ? Style::Dim : Style::Warning);
  out.push_back(std::move(nl));
  for (Line& l : out) clip(l, width);
  return out;
}

std::vector<Line> chart_lines(const std::string& title, const History& h, double max, int width, int height,
                              bool utf8, Style style) {
  std::vector<Line> out;
  if (height <= 0 || width <= 0) return out;
  Line t;
  t.add(fit(title, width), Style::Label);
  out.push_back(std::move(t));
  if (height == 1) return out;
  const std::vector<double> v = h.values();
  const double m = max > 0 ? max : std::max(h.max(), 1.0);
  for (std::string& s : render_chart(v, m, width, height - 1, utf8 ? ChartGlyphs::Braille : ChartGlyphs::Ascii))
    out.push_back(Line{{Span{std::move(s), style}}, Style::Normal});
  return out;
}

std::vector<Line> graph_lines(const Frame& f, const TopHistory& h, int width, int height, bool utf8) {
  std::vector<Line> out;
  if (height <= 0) return out;
  const int cpu_h = std::max(2, height / 2);
  const int low_h = height - cpu_h;
  // CPU: one chart per core when they fit 12 cells each, else every CPU together.
  const auto& cores = h.cpu();
  const auto& r = f.machine_rates;
  std::vector<std::vector<Line>> blocks;
  std::vector<int> widths;
  if (!cores.empty() && static_cast<int>(cores.size()) * 12 <= width && cores.size() == r.cpus.size()) {
    const int n = static_cast<int>(cores.size());
    for (int i = 0; i < n; ++i) {
      const int w = width / n - (i + 1 < n ? 1 : 0);
      blocks.push_back(chart_lines(strprintf("CPU%d %.1f%%", r.cpu_ids[size_t(i)], r.cpus[size_t(i)].busy()), cores[size_t(i)],
                                   100, w, cpu_h, utf8));
      widths.push_back(width / n);
    }
  } else {
    blocks.push_back(chart_lines(strprintf("CPU %.1f%%", r.all.busy()), h.cpu_all(), 100, width, cpu_h, utf8));
    widths.push_back(width);
  }
  out = beside(blocks, widths);
  if (low_h > 0) {
    const int w4 = width / 4;
    const std::string pid_title =
        h.pid() ? strprintf("pid %d CPU %.1f%%", h.pid(), h.proc_cpu().back()) : std::string("selected: none");
    auto low = beside({chart_lines(strprintf("Mem %.1f%%", h.mem_used_pct().back()), h.mem_used_pct(), 100, w4 - 1, low_h, utf8,
                                   Style::ChartAlt),
                       chart_lines("Ctxt/s " + per_second(h.ctxt_ps().back()), h.ctxt_ps(), 0, w4 - 1, low_h, utf8),
                       chart_lines("Clones/s " + per_second(h.clones_ps().back()), h.clones_ps(), 0, w4 - 1, low_h, utf8,
                                   Style::ChartAlt),
                       chart_lines(pid_title, h.proc_cpu(), 0, width - 3 * w4, low_h, utf8)},
                      {w4, w4, w4, width - 3 * w4});
    for (Line& l : low) out.push_back(std::move(l));
  }
  out.resize(static_cast<size_t>(std::min<int>(height, static_cast<int>(out.size()))));
  for (Line& l : out) clip(l, width);
  return out;
}

std::vector<Line> beside(const std::vector<std::vector<Line>>& blocks, const std::vector<int>& widths) {
  size_t rows = 0;
  for (const auto& b : blocks) rows = std::max(rows, b.size());
  std::vector<Line> out(rows);
  for (size_t bi = 0; bi < blocks.size(); ++bi) {
    const int w = bi < widths.size() ? widths[bi] : 0;
    for (size_t r = 0; r < rows; ++r) {
      Line part = r < blocks[bi].size() ? blocks[bi][r] : Line{};
      clip(part, w);
      const int pad = w - part.width();
      for (Span& s : part.spans) out[r].spans.push_back(std::move(s));
      if (pad > 0 && bi + 1 < blocks.size()) out[r].add(std::string(size_t(pad), ' '));
    }
  }
  return out;
}

}  // namespace ts::view
