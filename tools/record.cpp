// record.cpp: `taskscope record`, the recorder: top's collector written to a SQLite recording,
// one sample per interval, until SIGINT/SIGTERM/SIGHUP (or -n samples).
#include <unistd.h>

#include "format/ndjson.h"
#include "history/recorder.h"
#include "model/error.h"
#include "registry.h"
#include "top/terminal.h"

namespace ts::tools {

namespace {

// RecordCli is the parsed command line.
struct RecordCli {
  history::RecordOptions opts;
  std::string retain;
  bool no_go = false;
  bool json = false;
};

int run_record(RecordCli c, Context& ctx) {
  if (!(c.opts.delay_s >= 0.1 && c.opts.delay_s <= 3600)) throw Error("-d must be 0.1 to 3600 seconds", 2);
  if (c.opts.samples < 0) throw Error("-n must be 0 or more samples", 2);
  if (c.opts.path.empty()) throw Error("-o needs a file name", 2);
  if (!c.retain.empty()) c.opts.retention = history::parse_retention(c.retain);
  c.opts.go = !c.no_go;
  top::install_stop_signals();
  const int64_t n = history::record(c.opts, top::stop_signal_fd(), ctx.err);
  if (c.json) ctx.out << json_line({{"type", "record"}, {"pid", nullptr}, {"file", c.opts.path}, {"samples", n}}) << '\n';
  return 0;
}

Runner setup_record(CLI::App& app) {
  auto c = std::make_shared<RecordCli>();
  c->opts.path = "taskscope.db";
  app.add_option("-d,--delay", c->opts.delay_s, "seconds between samples (default 1, at least 0.1)")->option_text("SECS");
  app.add_option("-o,--output", c->opts.path, "the recording (SQLite), appended to when it exists (default taskscope.db)")
      ->option_text("FILE");
  app.add_option("--retain", c->retain, "drop the oldest samples beyond this age (30m, 12h, 7d, 2w) or size (500M, 2G)")
      ->option_text("DURATION|SIZE");
  app.add_flag("--threads", c->opts.threads, "keep every thread (LWP); without it, one row per process with its threads' sums");
  app.add_option("-n,--samples", c->opts.samples, "stop after this many samples (default: until SIGINT or SIGTERM)")
      ->option_text("N");
  add_source_option(app, c->opts.source);
  app.add_flag("--no-go", c->no_go, "do not read Go programs' memory for their G/M/P (goro's are always kept)");
  app.add_flag("--json", c->json, "at the end, one JSON object: the file and the samples written");
  app.footer("Replay with taskscope ps --replay FILE --at TIME; query events with sqlite3 (see taskscope-record(1)).");
  return [c](Context& ctx) { return run_record(*c, ctx); };
}

const Registration reg{"record", "record processes, threads, events and G/M/P to a SQLite file, for replay", setup_record, 60};

}  // namespace

}  // namespace ts::tools
