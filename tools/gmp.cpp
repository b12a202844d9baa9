// gmp.cpp: `taskscope gmp PID`: a goro or Go process's Ps, Ms and Gs, read from outside it.
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <thread>

#include "gmp_view.h"
#include "model/error.h"
#include "output.h"
#include "registry.h"
#include "sources/gmp_source.h"
#include "sys/clock.h"
#include "sys/pid.h"

namespace ts::tools {
namespace {

struct GmpOptions {
  std::string pid;        // as given; parsed by sys::parse_pid
  bool json = false;
  bool all = false;
  double interval_s = 0;  // 0: one frame
  int64_t count = 0;      // frames with -i; 0: until the process exits
};

int run_gmp(Context& ctx, const GmpOptions& o) {
  const int32_t pid = sys::parse_pid(o.pid, "PID");
  if (o.interval_s < 0 || (o.interval_s > 0 && !std::isfinite(o.interval_s)))
    throw Error("-i wants a positive number of seconds", 2);
  if (o.count < 0) throw Error("-n wants a positive count", 2);
  if (o.count > 0 && o.interval_s == 0) throw Error("-n needs -i INTERVAL", 2);
  std::unique_ptr<sym::ProcSymbols> symbols;
  std::optional<GoroSnapshot> prev;
  const int64_t frames = o.interval_s > 0 ? o.count : 1;
  GmpReader reader(pid);  // a Go program's executable and DWARF are read once, not every frame
  for (int64_t i = 0; frames == 0 || i < frames; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::duration<double>(o.interval_s));
    GoroSnapshot s;
    try {
      s = reader.read();
    } catch (const Gone&) {
      // After a first frame the segment vanishing (unlinked on every way out, before the process
      // is gone or reaped) or the pid going away is the watched program's end: quiet, status 0.
      if (i > 0) return 0;
      throw;
    }
    if (!symbols) symbols = std::make_unique<sym::ProcSymbols>(pid);
    GmpView v;
    v.now_unix_ns = sys::realtime_ns();
    v.prev = prev ? &*prev : nullptr;
    v.all_gs = o.all;
    v.symbolize = [&symbols](uint64_t pc, bool ret) { return symbols->lookup(pc, ret); };
    if (o.json) {
      print_gmp_json(ctx.out, s, v);
    } else {
      if (i > 0) ctx.out << '\n';
      print_gmp_text(ctx.out, s, v);
    }
    check_output(ctx.out);
    prev = std::move(s);
  }
  return 0;
}

Runner setup_gmp(CLI::App& app) {
  auto o = std::make_shared<GmpOptions>();
  app.add_option("PID", o->pid, "the goro or Go process to look at")->required();
  app.add_flag("--json", o->json, "NDJSON: a \"sched\" object, then one object per P, M and G, per frame");
  app.add_flag("-a,--all", o->all, "also list dead and idle Gs (free slots not yet reused)");
  app.add_option("-i,--interval", o->interval_s, "repeat every INTERVAL seconds and show rates")->option_text("INTERVAL");
  app.add_option("-n,--count", o->count, "with -i: stop after COUNT frames")->option_text("COUNT");
  app.footer("Reads /dev/shm/goro.PID, which the goro runtime publishes, or a Go program's runtime state from its memory\n(symbols and DWARF needed; the program is not stopped). See taskscope-gmp(1).");
  return [o](Context& ctx) { return run_gmp(ctx, *o); };
}

const Registration reg{"gmp", "a goro or Go process's Ps, Ms and Gs (like Go's schedtrace), from outside", setup_gmp, 40};

}  // namespace
}  // namespace ts::tools
