// bench.cpp: `taskscope bench`, what a process, a thread and a goroutine cost on this machine.
// The measuring lives in lib/costs; this file is the command line.
#include "costs/bench.h"
#include "costs/report.h"
#include "registry.h"

namespace ts::tools {

namespace {

struct BenchCli {
  costs::BenchOptions o;
  bool json = false;
  bool go = false;
};

Runner setup_bench(CLI::App& app) {
  auto c = std::make_shared<BenchCli>();
  app.add_flag("--quick", c->o.quick, "fewer and shorter rounds: about a second instead of several");
  app.add_flag("--json", c->json, "NDJSON: one bench_env object, then one bench_row object per row");
  app.add_option("--only", c->o.only, "only these rows: process, exec, thread, goro, go (commas or repeats)")
      ->option_text("ROW,...")
      ->delimiter(',')
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--cpus", c->o.cpus, "CPUs the create rounds may use (default 1); switch tests always use one")
      ->option_text("N");
  app.add_flag("--go", c->go, "require the Go row: fail when there is no `go` on PATH");
  return [c](Context& ctx) {
    if (c->go) c->o.go = costs::GoMode::Force;
    costs::check_options(c->o);  // usage errors before any work
    const costs::BenchResult r = costs::run_bench(c->o, ctx.err);
    if (r.env.loaded)
      ctx.err << "taskscope: warning: load " << r.env.load1 << " on " << r.env.cpus_online
              << " CPUs at start: figures are slower and noisier than on an idle machine\n";
    if (c->json) costs::print_bench_json(ctx.out, r);
    else costs::print_bench_table(ctx.out, r);
    return 0;
  };
}

const Registration reg{"bench", "what a process, a thread and a goroutine cost on this machine", setup_bench, 60};

}  // namespace

}  // namespace ts::tools
