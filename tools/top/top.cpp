// top.cpp: `taskscope top`, the viewer where processes, LWPs, events and G/M/P meet: registration,
// options, and the choice between the full screen and batch mode.
#include "top.h"

#include <unistd.h>

#include <cmath>

#include "model/error.h"
#include "sys/pid.h"
#include "view/columns.h"
#include "view/top_model.h"

namespace ts::tools::top {

view::CollectorConfig collector_config(const TopOptions& o) {
  view::CollectorConfig c;
  c.source = o.source;
  c.delay = std::chrono::milliseconds(static_cast<int64_t>(std::llround(o.delay_s * 1000)));
  if (!o.pids.empty()) c.pids = sys::parse_pid_list(o.pids, "-p");
  // DELAY is asked of every source: BPF reads sched_info, /proc each task's schedstat.
  c.fields = view::top_fields(initial_state(o), true);
  return c;
}

view::TopState initial_state(const TopOptions& o) {
  view::TopState st;
  if (o.threads) st.mode = view::TableMode::Threads;
  st.user = o.user;
  return st;
}

namespace {

int run_top(TopOptions o, Context& ctx) {
  if (!(o.delay_s >= 0.1 && o.delay_s <= 3600)) throw Error("-d must be 0.1 to 3600 seconds", 2);
  if (o.frames < 0) throw Error("-n must be 0 or more frames", 2);
  if (!o.at.empty() && o.replay.empty()) throw Error("--at needs --replay FILE", 2);
  if (!o.replay.empty() && !o.pids.empty()) throw Error("-p does not apply to --replay (use / or \\ in the viewer)", 2);
  if (o.json && !o.batch && isatty(STDOUT_FILENO)) throw Error("--json needs batch mode: add -b (and -n FRAMES)", 2);
  if (!o.batch && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))) {
    // Not on a terminal (a pipe, a file, make run | less): one frame as text, like top -b -n 1.
    o.batch = true;
    if (!o.frames) o.frames = 1;
  }
  return o.batch ? run_batch(o, ctx) : run_interactive(o, ctx);
}

Runner setup_top(CLI::App& app) {
  auto o = std::make_shared<TopOptions>();
  app.add_option("-d,--delay", o->delay_s, "seconds between frames (default 1, at least 0.1)")->option_text("SECS");
  app.add_flag("-H,--threads", o->threads, "start with every thread (LWP) shown under its process");
  app.add_option("-p,--pid", o->pids, "only these processes: pids separated by commas or blanks; may be repeated")
      ->option_text("PID,...")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("-u,--user", o->user, "only the processes of this user (name or uid)")->option_text("USER");
  add_source_option(app, o->source);
  app.add_flag("-b,--batch", o->batch, "print frames as text (header, then the table) instead of the full screen");
  app.add_option("-n,--frames", o->frames, "in batch mode, stop after this many frames (default: until interrupted)")
      ->option_text("FRAMES");
  app.add_flag("--json", o->json, "in batch mode, NDJSON: a frame object, then one object per row, each with its frame");
  app.add_option("--replay", o->replay, "view a recording (taskscope record); keys [ ] step one sample, { } 60, Home End, @ jump to a time")
      ->option_text("FILE");
  app.add_option("--at", o->at, "with --replay, start at TIME: start (default), end, -5m, +90s, HH:MM[:SS], YYYY-MM-DD HH:MM:SS (UTC), @UNIX")
      ->option_text("TIME");
  app.footer("Keys: see taskscope-top(1) or press ? in the viewer. Without a terminal, prints one frame.");
  return [o](Context& ctx) { return run_top(*o, ctx); };
}

const Registration reg{"top", "the live viewer: processes, threads (LWPs), events and goro G/M/P", setup_top, 5};

}  // namespace

}  // namespace ts::tools::top
