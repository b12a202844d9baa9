// trace.cpp: the `taskscope trace` command line.
#include "trace.h"

#include <cmath>
#include <memory>

#include "model/error.h"
#include "sys/pid.h"

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
  if (!end || scale < 0 || !std::isfinite(v) || v * scale < 1 || v * scale > 1e18)
    throw Error("bad duration '" + text + "': use a number with a unit, at least 1ns, e.g. 5s, 500ms, 2m", 2);
  return static_cast<uint64_t>(v * scale);
}

void check_trace_options(const TraceOptions& o) {
  if (o.summary && o.mode != TraceMode::Sched) throw Error("--summary is for trace sched only", 2);
  if (o.top_given && !o.summary)
    throw Error("--top picks whose histograms --summary prints: it does nothing without --summary", 2);
  if (o.top_given && o.json)
    throw Error("--top does nothing with --json, which carries every thread's histograms", 2);
}

namespace {

const char* const kFooter =
    "Needs root, or CAP_BPF and CAP_PERFMON. The last line counts lost events (0 unless the reader fell behind).";

// TraceArgs is what the command line gives before it is checked: pids as text (sys::parse_pid
// reads them), and whether --top was given.
struct TraceArgs {
  TraceOptions opts;
  std::string pid, tid;
  std::vector<CLI::Option*> pid_opts, tid_opts, top_opts;
};

bool given(const std::vector<CLI::Option*>& opts) {
  for (const CLI::Option* o : opts)
    if (o->count() > 0) return true;
  return false;
}

Runner setup_trace(CLI::App& app) {
  auto args = std::make_shared<TraceArgs>();
  TraceOptions* opts = &args->opts;
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
    args->pid_opts.push_back(
        sub->add_option("-p,--pid", args->pid, "only this process (clone/exec/exit also follow the children it creates)")
            ->option_text("PID"));
    args->tid_opts.push_back(sub->add_option("-t,--tid", args->tid, "only this thread")->option_text("TID"));
    sub->add_option("--comm", opts->filter.comm, "only tasks with this name (exact, at most 15 bytes)")->option_text("NAME");
    sub->add_flag("--json", opts->json, "one JSON object per line (NDJSON)");
    if (s.mode == TraceMode::Sched) {
      sub->add_flag("--summary", opts->summary, "count in the kernel; print per-thread switches and histograms at the end");
      args->top_opts.push_back(
          sub->add_option("--top", opts->top, "with --summary: print histograms for this many busiest threads (default 5)")
              ->option_text("N"));
    }
    sub->add_option("DURATION", opts->duration, "how long to trace, e.g. 5s, 500ms (default: until Ctrl-C)");
    const TraceMode mode = s.mode;
    sub->callback([opts, mode] { opts->mode = mode; });
  }
  return [args](Context& ctx) {
    TraceOptions& o = args->opts;
    if (given(args->pid_opts)) o.filter.pid = sys::parse_pid(args->pid, "-p");
    if (given(args->tid_opts)) o.filter.tid = sys::parse_pid(args->tid, "-t");
    o.top_given = given(args->top_opts);
    return run_trace(ctx, o);  // checks the option combinations first
  };
}

const Registration reg{"trace", "trace clone, exec, exit and context switches as they happen (BPF)", setup_trace, 40};

}  // namespace

}  // namespace ts::tools
