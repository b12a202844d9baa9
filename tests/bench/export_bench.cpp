// export_bench: `taskscope export`'s /metrics render (lib/export render_metrics) of a Frame with
// 1,000 processes of 4 threads each, 50 of them goro programs with 4 Ps and 200 Gs, as the exporter
// does it once per collection: both formats. Goal (issue 14): <= 20 ms. Printed beside the same
// render with --threads=top:100, and a plain copy of the page (what a scrape costs the server).
// Best and median of 50 runs; the load average before and after.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "export/render.h"

using namespace ts;

namespace {

view::Frame make_frame(int processes) {
  view::Frame f;
  f.seq = 2;
  f.interval_s = 1;
  for (int i = 0; i < processes; ++i) {
    Process p;
    p.pid = 1000 + i * 10;
    p.comm = "worker-" + std::to_string(i % 97);
    p.rss_bytes = 123456789ull + static_cast<uint64_t>(i);
    p.utime_ns = 123456789012ull * static_cast<uint64_t>(i + 1);
    p.stime_ns = 9876543210ull;
    for (int t = 0; t < 4; ++t) {
      Task k;
      k.tid = p.pid + t;
      k.tgid = p.pid;
      k.comm = p.comm;
      k.nvcsw = 100000u + static_cast<uint64_t>(t);
      k.nivcsw = 2000;
      k.run_delay_ns = 555555555;
      k.utime_ns = p.utime_ns / 4;
      p.tasks.push_back(k);
      f.rates[k.tid] = TaskRate{static_cast<double>((i * 7 + t) % 100), 1, 1};
    }
    p.nlwp = 4;
    if (i % 20 == 0) {
      f.runtimes[p.pid] = "goro";
      GoroSnapshot g;
      g.pid = p.pid;
      g.ps.resize(4);
      for (uint32_t j = 0; j < 4; ++j) g.ps[j].id = j;
      g.gs.resize(200);
      for (size_t j = 0; j < g.gs.size(); ++j) g.gs[j].state = static_cast<GState>(j % 5);
      f.goro[p.pid] = g;
    }
    f.snap.processes.push_back(std::move(p));
  }
  f.events_on = true;
  return f;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void row(const char* name, const std::function<size_t()>& fn, const char* goal) {
  std::vector<double> ms;
  size_t bytes = 0;
  for (int i = 0; i < 50; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    bytes = fn();
    ms.push_back(ms_since(t0));
  }
  std::sort(ms.begin(), ms.end());
  std::printf("  %-44s best %7.3f ms  median %7.3f ms  page %7zu B  %s\n", name, ms.front(), ms[ms.size() / 2], bytes, goal);
}

void load(const char* when) {
  double l[3] = {};
  if (getloadavg(l, 3) == 3) std::printf("  load average %s: %.2f %.2f %.2f\n", when, l[0], l[1], l[2]);
}

}  // namespace

int main() {
  const view::Frame f = make_frame(1000);
  exporter::EventTotals totals;
  totals.fold(f);
  std::printf("export_bench: /metrics render, 1,000 processes x 4 threads, 50 goro (4 Ps, 200 Gs)\n");
  load("before");
  std::string kept;
  row("render, both formats (per collection)", [&] {
    std::string a = exporter::render_metrics(f, totals, {}, exporter::Format::OpenMetrics);
    std::string b = exporter::render_metrics(f, totals, {}, exporter::Format::Text004);
    kept = a;
    return a.size() + b.size();
  }, "(goal <= 20 ms)");
  row("render, OpenMetrics only", [&] {
    return exporter::render_metrics(f, totals, {}, exporter::Format::OpenMetrics).size();
  }, "");
  row("render, both formats, --threads=top:100", [&] {
    return exporter::render_metrics(f, totals, {100}, exporter::Format::OpenMetrics).size() +
           exporter::render_metrics(f, totals, {100}, exporter::Format::Text004).size();
  }, "");
  row("anchor: copy of the page (a scrape's own cost)", [&] {
    std::string c = kept;
    return c.size();
  }, "");
  load("after");
  return 0;
}
