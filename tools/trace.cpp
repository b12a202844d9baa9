// trace.cpp: the `taskscope trace` command line.
#include "trace.h"

#include <cmath>
#include <memory>

#include "model/error.h"

namespace ts::tools {

uint64_t parse_duration_ns(const std::string& text) {
  static const struct {
    const char* suffix;
    double ns;
  } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  size_t end = 0;
  double v = 0;
  try {
    v = std::stod(text, &end);
  } catch (const std::exception&) {
    end = 0;
  }
  const std::string unit = end ? text.substr(end) : "";
  double scale = -1;
  if (end && unit.empty()) scale = 1e9;
  for (const auto& u : units)
    if (end && unit == u.suffix) scale = u.ns;
  if (!end || scale < 0 || !std::isfinite(v) || v <= 0 || v * scale > 1e18)
    throw Error("bad duration '" + text + "': use a positive number with a unit, e.g. 5s, 500ms, 2m", 2);
  return static_cast<uint64_t>(v * scale);
}

namespace {

const char* const kFooter =
    "Needs root, or CAP_BPF and CAP_PERFMON. The last line counts lost events (0 unless the reader fell behind).";

Runner setup_trace(CLI::App& app) {
  auto opts = std::make_shared<TraceOptions>();
  app.require_subcommand(1);
  app.footer(kFooter);
  struct Sub {
    TraceMode mode;
    const char* name;
    const char* help;
  };
  const Sub subs[] = {
      {TraceMode::Clone, "clone", "every new task (fork, vfork, thread, clone, kernel thread) with its flags decoded"},
      {TraceMode::Exec, "exec", "every execve: pid, old thread id, filename and arguments"},
      {TraceMode::Exit, "exit", "every exiting thread: status or signal, lifetime, CPU time"},
      {TraceMode::Sched, "sched", "context switches: one line each, or a per-thread --summary made in the kernel"},
  };
  for (const Sub& s : subs) {
    CLI::App* sub = app.add_subcommand(s.name, s.help);
    sub->footer(kFooter);
    sub->add_option("-p,--pid", opts->filter.pid, "only this process (clone/exec/exit also follow the children it creates)");
    sub->add_option("-t,--tid", opts->filter.tid, "only this thread");
    sub->add_option("--comm", opts->filter.comm, "only tasks with this name (exact, at most 15 bytes)");
    sub->add_flag("--json", opts->json, "one JSON object per line (NDJSON)");
    if (s.mode == TraceMode::Sched) {
      sub->add_flag("--summary", opts->summary, "count in the kernel; print per-thread switches and histograms at the end");
      sub->add_option("--top", opts->top, "with --summary: print histograms for this many busiest threads (default 5)");
    }
    sub->add_option("duration", opts->duration, "how long to trace, e.g. 5s, 500ms (default: until Ctrl-C)");
    const TraceMode mode = s.mode;
    sub->callback([opts, mode] { opts->mode = mode; });
  }
  return [opts](Context& ctx) { return run_trace(ctx, *opts); };
}

const Registration reg{"trace", "trace clone, exec, exit and context switches as they happen (BPF)", setup_trace, 40};

}  // namespace

}  // namespace ts::tools
