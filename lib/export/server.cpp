// server.cpp: the collector loop on the caller's thread (render, publish), the HTTP server on one
// of its own with a pool of workers that grows while they are all busy (ConnPool).
#include "export/server.h"


#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>

#include <httplib.h>

#include "export/conn_pool.h"
#include "export/event_totals.h"
#include "export/render.h"
#include "model/error.h"
#include "view/collector.h"
#include "sys/heap_trim.h"
#include "view/frame_wait.h"
#include "view/go_programs.h"

namespace ts::exporter {

namespace {

// PoolQueue is httplib's TaskQueue over a ConnPool.
struct PoolQueue : httplib::TaskQueue {
  ConnPool pool;
  PoolQueue(size_t core, size_t max) : pool(core, max) {}
  void enqueue(std::function<void()> fn) override { pool.enqueue(std::move(fn)); }
  void shutdown() override { pool.shutdown(); }
};

}  // namespace

struct Exporter::Impl {
  ExportOptions opts;
  httplib::Server http;
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
  // An idle client holds a worker until its keep-alive wait ends (also before its first request):
  // that wait is short, and while every worker is held, more start (ConnPool), so silent clients
  // neither queue a scrape behind them nor hold their workers long.
  const auto core = static_cast<size_t>(m.opts.workers), max = static_cast<size_t>(m.opts.max_connections);
  m.http.new_task_queue = [core, max] { return new PoolQueue(core, max); };
  m.http.set_read_timeout(m.opts.timeout_s, 0);
  m.http.set_write_timeout(m.opts.timeout_s, 0);
  m.http.set_keep_alive_timeout(m.opts.idle_s);
  m.http.set_keep_alive_max_count(100);
  m.http.set_payload_max_length(64 * 1024);
  Impl* self = &m;
  m.http.Get("/metrics", [self](const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<const Page> p = self->current();
    if (!p) {
      res.status = 503;
      res.set_header("Retry-After", "1");
      res.set_content("taskscope export: no collection finished yet\n", "text/plain; charset=utf-8");
      return;
    }
    const Format f = choose_format(req.get_header_value("Accept"));
    res.set_content(f == Format::OpenMetrics ? p->openmetrics : p->text004, content_type(f));
  });
  m.http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("taskscope export: metrics at /metrics\n", "text/plain; charset=utf-8");
  });
  const ListenAddress& a = m.opts.listen;
  errno = 0;
  const bool ok = a.port == 0 ? (m.port = m.http.bind_to_any_port(a.host)) > 0 : m.http.bind_to_port(a.host, a.port);
  if (!ok) {
    const int e = errno;
    throw Error("cannot listen on " + a.text() + ": " + (e ? std::strerror(e) : "bind failed") +
                    " (another exporter there? pick another with --listen)",
                1);
  }
  if (a.port != 0) m.port = a.port;
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
  std::thread server([&m] { m.http.listen_after_bind(); });
  struct Join {  // stop and join the server however run() leaves
    Impl& m;
    std::thread& t;
    ~Join() {
      m.http.stop();
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
