// ps.cpp: `taskscope ps`, the process table (or, with -L, every LWP).
#include <algorithm>
#include <tuple>

#include "model/error.h"
#include "registry.h"
#include "sources/make_source.h"
#include "task_columns.h"

namespace ts::tools {

namespace {

// PsOptions is the parsed command line of `taskscope ps`.
struct PsOptions {
  bool lwp = false;
  std::string pids;
  std::string sort = "pid";
  bool json = false;
  std::string source = "auto";
};

// SortKey is one --sort key: biggest first for counters, oldest/lowest first for pid and start.
struct SortKey {
  const char* id;
  Field needs;
  bool descending;
  uint64_t (*key)(const Row&);
};

const SortKey kSortKeys[] = {
    {"pid", Field::Ids, false, [](const Row&) -> uint64_t { return 0; }},
    {"cpu", Field::Times, true,
     [](const Row& r) -> uint64_t {
       return r.whole_process ? r.proc->utime_ns + r.proc->stime_ns : r.task->utime_ns + r.task->stime_ns;
     }},
    {"rss", Field::Memory, true, [](const Row& r) -> uint64_t { return r.proc->rss_bytes; }},
    {"vcsw", Field::Switches, true,
     [](const Row& r) -> uint64_t { return r.whole_process ? r.proc->total_nvcsw() : r.task->nvcsw; }},
    {"nvcsw", Field::Switches, true,
     [](const Row& r) -> uint64_t { return r.whole_process ? r.proc->total_nivcsw() : r.task->nivcsw; }},
    {"nlwp", Field::Ids, true, [](const Row& r) -> uint64_t { return static_cast<uint64_t>(r.proc->nlwp); }},
    {"start", Field::Times, false, [](const Row& r) -> uint64_t { return r.task->start_ns; }},
};

const SortKey& sort_key(const std::string& id) {
  for (const SortKey& k : kSortKeys)
    if (id == k.id) return k;
  throw Error("--sort: unknown key '" + id + "'", 2);
}

std::vector<std::string> sort_key_ids() {
  std::vector<std::string> ids;
  for (const SortKey& k : kSortKeys) ids.push_back(k.id);
  return ids;
}

std::string missing_message(const std::vector<int32_t>& missing) {
  std::string msg = missing.size() == 1 ? "no process with pid " : "no process with pids ";
  for (size_t i = 0; i < missing.size(); ++i) msg += (i ? ", " : "") + std::to_string(missing[i]);
  return msg;
}

int run_ps(const PsOptions& o, Context& ctx) {
  std::vector<std::string_view> ids{"pid", "tid", "ppid", "user", "state", "time", "ni", "pri",
                                    "cls", "nlwp", "rss", "vcsw", "nvcsw", "start", "cmd"};
  if (!o.lwp) ids.erase(ids.begin() + 1);
  const auto cols = columns(ids);
  const SortKey& key = sort_key(o.sort);

  Request req;
  req.fields = fields_for(cols) | key.needs;
  if (!o.pids.empty()) req.pids = parse_pid_list(o.pids, "-p");
  auto source = open_source(o.source, ctx.err);
  const Snapshot snap = source->snapshot(req);
  for (const std::string& note : snap.notes) ctx.err << "taskscope: " << note << '\n';

  std::vector<int32_t> missing;
  for (int32_t pid : req.pids)
    if (!snap.find(pid) && std::find(missing.begin(), missing.end(), pid) == missing.end()) missing.push_back(pid);

  std::vector<Row> rows = o.lwp ? task_rows(snap) : process_rows(snap);
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    const uint64_t ka = key.key(a), kb = key.key(b);
    if (ka != kb) return key.descending ? ka > kb : ka < kb;
    return std::tie(a.proc->pid, a.task->tid) < std::tie(b.proc->pid, b.task->tid);
  });
  const RenderEnv env = render_env(snap);
  if (o.json) print_ndjson(ctx.out, cols, rows, env);
  else if (!rows.empty() || missing.empty()) print_table(ctx.out, cols, rows, env);
  if (!missing.empty()) throw Error(missing_message(missing));
  return 0;
}

Runner setup_ps(CLI::App& app) {
  auto o = std::make_shared<PsOptions>();
  app.add_flag("-L,--threads", o->lwp, "one row per LWP (thread) instead of per process");
  app.add_option("-p,--pid", o->pids, "only these processes (comma-separated pids)");
  app.add_option("--sort", o->sort, "order rows by KEY: pid, cpu, rss, vcsw, nvcsw, nlwp, start")
      ->check(CLI::IsMember(sort_key_ids()));
  app.add_flag("--json", o->json, "one JSON object per row (NDJSON), raw units (ns, bytes)");
  app.add_option("--source", o->source, "where data comes from: auto, proc or bpf")
      ->check(CLI::IsMember({"auto", "proc", "bpf"}));
  return [o](Context& ctx) { return run_ps(*o, ctx); };
}

const Registration reg{"ps", "list processes, or every thread (LWP) with -L", setup_ps, 10};

}  // namespace

}  // namespace ts::tools
