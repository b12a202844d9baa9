// stack.cpp: `taskscope stack PID`: every LWP's stack (gdb's pstack format) and every goro G's
// (Go's traceback format), captured in milliseconds without leaving the target stopped.
#include <memory>

#include "model/error.h"
#include "registry.h"
#include "stack/dump.h"
#include "stack/format.h"
#include "sys/pid.h"

namespace ts::tools {
namespace {

struct StackCliOptions {
  std::string pid;                  // as given; parsed by sys::parse_pid
  std::vector<std::string> tids;    // -t values
  bool json = false;
  bool no_inline = false;
  bool no_source = false;
  bool kernel = false;
  bool consistent = false;
};

int run_stack(Context& ctx, const StackCliOptions& o) {
  stack::Options opt;
  const int32_t pid = sys::parse_pid(o.pid, "PID");
  if (!o.tids.empty()) opt.tids = sys::parse_pid_list(o.tids, "-t");
  opt.inlines = !o.no_inline;
  opt.source = !o.no_source;
  opt.kernel = o.kernel;
  opt.consistent = o.consistent;
  const stack::Dump d = stack::take_dump(pid, opt);
  if (o.json) {
    stack::print_json(ctx.out, d);
  } else {
    stack::print_text(ctx.out, d, stack::PrintOptions{opt.source, true});
  }
  // A kernel thread's kernel stack is shown, but no user stack could be: that is a failure.
  if (d.kernel_thread) throw Error(d.notes.front());
  stack::print_notes(ctx.err, d);
  if (!opt.tids.empty() && d.threads.empty()) throw Error("none of the threads given with -t could be dumped");
  return 0;
}

Runner setup_stack(CLI::App& app) {
  auto o = std::make_shared<StackCliOptions>();
  app.add_option("PID", o->pid, "the process to dump")->required();
  app.add_option("-t,--tid", o->tids, "only these threads (LWP ids, comma-separated)")->option_text("TID,...");
  app.add_flag("--json", o->json, "NDJSON: one object per thread and per goroutine, then an \"end\" object");
  app.add_flag("--no-inline", o->no_inline, "no line for inlined calls: one per physical frame");
  app.add_flag("--no-source", o->no_source, "no file:line (function+offset and module instead)");
  app.add_flag("--kernel", o->kernel, "append each thread's kernel stack (/proc/PID/task/TID/stack, root only)");
  app.add_flag("--consistent", o->consistent, "stop every thread at once for one instant's snapshot (longer stop)");
  app.footer(
      "Threads blocked in a system call are read without a stop; running ones are stopped one at a time\n"
      "for well under a millisecond (PTRACE_SEIZE, no SIGSTOP). See taskscope-stack(1).");
  return [o](Context& ctx) { return run_stack(ctx, *o); };
}

const Registration reg{"stack", "every thread's and goroutine's stack (pstack), without leaving it stopped", setup_stack, 45};

}  // namespace
}  // namespace ts::tools
