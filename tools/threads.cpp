// threads.cpp: `taskscope threads PID`, the LWPs of one process: a process is a container of threads.
#include "model/error.h"
#include "registry.h"
#include "sources/make_source.h"
#include "sys/pid.h"
#include "sys/text.h"
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

// ThreadsOptions is the parsed command line of `taskscope threads`.
struct ThreadsOptions {
  std::string pid;  // as given; parsed by sys::parse_pid
  bool json = false;
  std::string source = "auto";
};

// header() is the line above the table: "pid 1234 (comm): 5 threads, leader 1234".
std::string header(const Process& p) {
  std::string s = "pid " + std::to_string(p.pid) + " (" + sys::printable(p.comm) + "): " + std::to_string(p.tasks.size()) +
                  (p.tasks.size() == 1 ? " thread" : " threads");
  s += p.leader() ? ", leader " + std::to_string(p.pid) : ", leader has exited";
  return s;
}

int run_threads(const ThreadsOptions& o, Context& ctx) {
  const int32_t pid = sys::parse_pid(o.pid, "PID");
  const auto cols =
      columns({"leader", "tid", "name", "state", "cpu", "utime", "systime", "nvcsw", "nivcsw", "cls", "pri"});
  Request req;
  req.fields = fields_for(cols);
  req.pids = {pid};
  auto source = open_source(o.source, ctx.err);
  const Snapshot snap = source->snapshot(req);
  const Process* p = snap.find(pid);
  if (!p) {
    const int32_t tgid = process_of(pid);
    if (tgid > 0 && tgid != pid)
      throw Error("pid " + std::to_string(pid) + " is a thread of process " + std::to_string(tgid) +
                  "; try: taskscope threads " + std::to_string(tgid));
    throw Error("no process with pid " + std::to_string(pid));
  }
  std::vector<Row> rows;
  for (const Task& t : p->tasks) rows.push_back(view::make_row(p, &t));
  const RenderEnv env = render_env(snap);
  if (o.json) {
    auto json_cols = cols;
    json_cols.insert(json_cols.begin(), &column("pid"));
    print_ndjson(ctx.out, "thread", json_cols, rows, env);
  } else {
    ctx.out << header(*p) << '\n';
    print_table(ctx.out, cols, rows, env);
  }
  return 0;
}

Runner setup_threads(CLI::App& app) {
  auto o = std::make_shared<ThreadsOptions>();
  app.add_option("PID", o->pid, "the process whose threads to list")->required();
  app.add_flag("--json", o->json, "one JSON object per thread (NDJSON), raw units (ns)");
  add_source_option(app, o->source);
  return [o](Context& ctx) { return run_threads(*o, ctx); };
}

const Registration reg{"threads", "list the threads (LWPs) of one process", setup_threads, 20};

}  // namespace

}  // namespace ts::tools
