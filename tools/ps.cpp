// ps.cpp: `taskscope ps`, the process table (or, with -L, every LWP).
#include <algorithm>

#include "history/replay.h"
#include "history/time_spec.h"
#include "model/error.h"
#include "registry.h"
#include "sources/make_source.h"
#include "sys/pid.h"
#include "view/columns.h"

namespace ts::tools {

namespace {

using view::column;
using view::columns;
using view::fields_for;
using view::print_ndjson;
using view::print_table;
using view::render_env;
using view::Row;
using view::RenderEnv;
using view::ColumnSpec;
using view::sort_rows;
using view::sort_ids;
using view::task_rows;
using view::process_rows;

// PsOptions is the parsed command line of `taskscope ps`.
struct PsOptions {
  bool lwp = false;
  std::vector<std::string> pids;  // each -p value, as given
  std::string sort = "pid";
  bool json = false;
  std::string source = "auto";
  std::string replay;  // --replay FILE: a recording instead of the live system
  std::string at;      // --at TIME in it
};

// kLwpIds are the columns of `ps -L`; without -L the per-task ones (TID, NAME) are left out.
const std::vector<std::string_view> kLwpIds{"pid",  "tid", "ppid",  "user",   "state", "time", "ni",   "pri",
                                            "cls",  "nlwp", "rss", "nvcsw", "nivcsw", "start", "name", "cmd"};

std::vector<std::string_view> text_ids(bool lwp) {
  std::vector<std::string_view> ids = kLwpIds;
  if (!lwp) std::erase_if(ids, [](std::string_view id) { return id == "tid" || id == "name"; });
  return ids;
}

// json_ids() are the text columns plus what a program wants and a person does not: the numeric
// uid, and the task name also for process rows.
std::vector<std::string_view> json_ids(bool lwp) {
  std::vector<std::string_view> ids = text_ids(lwp);
  ids.insert(std::find(ids.begin(), ids.end(), "user"), "uid");
  if (!lwp) ids.insert(ids.end() - 1, "name");
  return ids;
}

std::string missing_message(const std::vector<int32_t>& missing) {
  std::string msg = missing.size() == 1 ? "no process with pid " : "no process with pids ";
  for (size_t i = 0; i < missing.size(); ++i) msg += (i ? ", " : "") + std::to_string(missing[i]);
  return msg;
}

int run_ps(const PsOptions& o, Context& ctx) {
  const auto cols = columns(o.json ? json_ids(o.lwp) : text_ids(o.lwp));
  const ColumnSpec& by = column(o.sort);

  Request req;
  req.fields = fields_for(cols) | by.needs;
  if (!o.pids.empty()) req.pids = sys::parse_pid_list(o.pids, "-p");
  if (!o.at.empty() && o.replay.empty()) throw Error("--at needs --replay FILE", 2);
  Snapshot snap;
  if (!o.replay.empty()) {
    history::ReplayedSnapshot r = history::replay_snapshot(o.replay, o.at, req.pids, o.lwp);
    if (!o.json) ctx.err << "taskscope: " << o.replay << ": sample " << r.ref.id << " taken " << history::format_time(r.ref.wall_ns) << '\n';
    snap = std::move(r.snap);
  } else {
    snap = open_source(o.source, ctx.err)->snapshot(req);
  }
  for (const std::string& note : snap.notes) ctx.err << "taskscope: " << note << '\n';

  std::vector<int32_t> missing;
  for (int32_t pid : req.pids)
    if (!snap.find(pid) && std::find(missing.begin(), missing.end(), pid) == missing.end()) missing.push_back(pid);

  std::vector<Row> rows = o.lwp ? task_rows(snap) : process_rows(snap);
  sort_rows(rows, by);
  const RenderEnv env = render_env(snap);
  if (o.json) print_ndjson(ctx.out, o.lwp ? "thread" : "process", cols, rows, env);
  else if (!rows.empty() || missing.empty()) print_table(ctx.out, cols, rows, env);
  if (!missing.empty()) throw Error(missing_message(missing));
  return 0;
}

Runner setup_ps(CLI::App& app) {
  auto o = std::make_shared<PsOptions>();
  const std::vector<std::string> keys = sort_ids(columns(kLwpIds));
  std::string key_list;
  for (const std::string& k : keys) key_list += (key_list.empty() ? "" : ", ") + k;
  app.add_flag("-L,--threads", o->lwp, "one row per LWP (thread), with its own name, instead of per process");
  app.add_option("-p,--pid", o->pids, "only these processes: pids separated by commas or blanks; may be repeated")
      ->option_text("PID,...")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--sort", o->sort, "order rows by the column KEY: " + key_list)
      ->option_text("KEY")
      ->check(CLI::IsMember(keys));
  app.add_flag("--json", o->json, "one JSON object per row (NDJSON), raw units (ns, bytes)");
  add_source_option(app, o->source);
  app.add_option("--replay", o->replay, "read a recording (taskscope record) instead of the live system")->option_text("FILE");
  app.add_option("--at", o->at, "with --replay, the sample at TIME: start, end, -5m, HH:MM[:SS], YYYY-MM-DD HH:MM:SS (UTC), @UNIX")
      ->option_text("TIME");
  return [o](Context& ctx) { return run_ps(*o, ctx); };
}

const Registration reg{"ps", "list processes, or every thread (LWP) with -L", setup_ps, 10};

}  // namespace

}  // namespace ts::tools
