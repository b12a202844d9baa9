// server.cpp: the collector loop on the caller's thread (render, publish), the HTTP server (the
// plugin, http_server.h) on one of its own with a pool of workers that grows while they are all busy.
#include "export/server.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>

#include "export/event_totals.h"
#include "export/http_server.h"
#include "export/render.h"
#include "model/error.h"
#include "view/collector.h"
#include "sys/heap_trim.h"
#include "view/frame_wait.h"
#include "view/go_programs.h"

namespace ts::exporter {

struct Exporter::Impl {
  ExportOptions opts;
  std::unique_ptr<HttpServer> http;
  int port = 0;
  std::mutex mu;                     // guards `page` (held only to copy or swap the pointer)
  std::shared_ptr<const Page> page;  // the newest rendered frame; null before the first

  std::shared_ptr<const Page> current() {
    std::lock_guard lock(mu);
    return page;
  }
  void publish(std::shared_ptr<const Page> p) {
    std::lock_guard lock(mu);
    page = std::move(p);
  }
};

Exporter::Exporter(ExportOptions opts) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.opts = std::move(opts);
  HttpConfig hc;
  hc.core_workers = static_cast<size_t>(m.opts.workers);
  hc.max_workers = static_cast<size_t>(m.opts.max_connections);
  hc.timeout_s = m.opts.timeout_s;
  hc.idle_s = m.opts.idle_s;
  m.http = make_http_server(hc);
  Impl* self = &m;
  m.http->get("/metrics", [self](const std::string& accept, HttpReply& res) {
    std::shared_ptr<const Page> p = self->current();
    if (!p) {
      res.status = 503;
      res.headers.emplace_back("Retry-After", "1");
      res.body = "taskscope export: no collection finished yet\n";
      res.content_type = "text/plain; charset=utf-8";
      return;
    }
    const Format f = choose_format(accept);
    res.body = f == Format::OpenMetrics ? p->openmetrics : p->text004;
    res.content_type = content_type(f);
  });
  m.http->get("/", [](const std::string&, HttpReply& res) {
    res.body = "taskscope export: metrics at /metrics\n";
    res.content_type = "text/plain; charset=utf-8";
  });
  const ListenAddress& a = m.opts.listen;
  errno = 0;
  const int bound = m.http->bind(a.host, a.port);
  if (bound < 0) {
    const int e = errno;
    throw Error("cannot listen on " + a.text() + ": " + (e ? std::strerror(e) : "bind failed") +
                    " (another exporter there? pick another with --listen)",
                1);
  }
  m.port = bound;
}

Exporter::~Exporter() = default;

int Exporter::port() const { return impl_->port; }

void Exporter::run(int stop_fd, std::ostream& err) {
  Impl& m = *impl_;
  view::CollectorConfig cfg;
  cfg.source = m.opts.source;
  cfg.delay = std::chrono::milliseconds(static_cast<int64_t>(std::llround(m.opts.delay_s * 1000)));
  cfg.fields = kAllFields & ~static_cast<Fields>(Field::Layout);
  cfg.events = true;
  cfg.goro = true;
  view::Collector collector(cfg);
  std::thread server([&m] { m.http->serve(); });
  struct Join {  // stop and join the server however run() leaves
    Impl& m;
    std::thread& t;
    ~Join() {
      m.http->stop();
      if (t.joinable()) t.join();
    }
  } join{m, server};
  collector.start();
  EventTotals totals;
  view::NoteOnce said;
  RenderOptions ropts{m.opts.top_threads};
  sys::HeapTrim heap;  // a service runs for days: a burst of tasks must not keep its memory
  while (std::shared_ptr<const view::Frame> f = view::wait_frame(collector, stop_fd)) {
    for (const std::string& n : f->notes)
      if (said.first(n)) err << "taskscope: export: " << n << '\n';
    totals.fold(*f);
    auto p = std::make_shared<Page>();
    p->seq = f->seq;
    p->openmetrics = render_metrics(*f, totals, ropts, Format::OpenMetrics);
    p->text004 = render_metrics(*f, totals, ropts, Format::Text004);
    m.publish(std::move(p));
    heap.after(f->snap.task_count());
    if (m.opts.go) collector.set_gmp_pids(view::go_programs(*f));  // read only when asked for
  }
}

}  // namespace ts::exporter
