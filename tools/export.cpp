// export.cpp: `taskscope export`, an OpenMetrics /metrics endpoint for Prometheus over top's
// collector (lib/export), until SIGINT/SIGTERM/SIGHUP.
#include <charconv>

#include "export/server.h"
#include "format/ndjson.h"
#include "model/error.h"
#include "registry.h"
#include "top/terminal.h"

namespace ts::tools {

namespace {

// ExportCli is the parsed command line.
struct ExportCli {
  std::string listen = "0.0.0.0:9890";
  std::string threads;
  exporter::ExportOptions opts;
  bool no_go = false;
  bool json = false;
};

// parse_top_threads() reads --threads=top:N (N 1-10000).
size_t parse_top_threads(const std::string& s) {
  const std::string_view v(s);
  size_t n = 0;
  if (v.starts_with("top:")) {
    auto r = std::from_chars(v.data() + 4, v.data() + v.size(), n);
    if (v.size() > 4 && r.ec == std::errc() && r.ptr == v.data() + v.size() && n >= 1 && n <= 10000) return n;
  }
  throw Error("--threads " + s + ": expected top:N with N from 1 to 10000 (e.g. --threads=top:20)", 2);
}

int run_export(ExportCli c, Context& ctx) {
  if (!(c.opts.delay_s >= 0.1 && c.opts.delay_s <= 3600)) throw Error("-d must be 0.1 to 3600 seconds", 2);
  c.opts.listen = exporter::parse_listen(c.listen);
  if (!c.threads.empty()) c.opts.top_threads = parse_top_threads(c.threads);
  c.opts.go = !c.no_go;
  exporter::Exporter ex(c.opts);
  exporter::ListenAddress bound = c.opts.listen;
  bound.port = ex.port();
  if (c.json)
    ctx.out << json_line({{"type", "listen"}, {"pid", nullptr}, {"address", bound.host}, {"port", bound.port},
                          {"url", "http://" + bound.text() + "/metrics"}})
            << '\n' << std::flush;
  ctx.err << "taskscope: export: serving http://" << bound.text() << "/metrics\n" << std::flush;
  top::install_stop_signals();
  ex.run(top::stop_signal_fd(), ctx.err);
  return 0;
}

Runner setup_export(CLI::App& app) {
  auto c = std::make_shared<ExportCli>();
  app.add_option("--listen", c->listen, "address and port to serve /metrics on (default 0.0.0.0:9890; port 0: any free one)")
      ->option_text("ADDR:PORT");
  app.add_option("--threads", c->threads, "also per-thread series for the N threads with the most CPU in the last interval")
      ->option_text("top:N");
  app.add_option("-d,--delay", c->opts.delay_s, "seconds between collections (default 5, at least 0.1)")->option_text("SECS");
  add_source_option(app, c->opts.source);
  app.add_flag("--no-go", c->no_go, "do not read Go programs' memory for their goroutine counts (goro's are always read)");
  app.add_flag("--json", c->json, "once bound, one JSON object on stdout: the address, port and URL");
  app.footer("Scrape it from Prometheus; series and cardinality in taskscope-export(1).");
  return [c](Context& ctx) { return run_export(*c, ctx); };
}

const Registration reg{"export", "serve processes, events and G/M/P as OpenMetrics at /metrics, for Prometheus", setup_export, 61};

}  // namespace

}  // namespace ts::tools
