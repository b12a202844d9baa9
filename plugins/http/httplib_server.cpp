// httplib_server.cpp: the HTTP server plugin (lib/export/http_server.h): cpp-httplib's Server with
// its connections on a ConnPool. Built as build/<variant>/lib/taskscope/http.so, the only object
// that links cpp-httplib (and through it OpenSSL, brotli, zlib), loaded by `taskscope export` alone.
#include <httplib.h>

#include <cerrno>

#include "export/conn_pool.h"
#include "export/http_server.h"

namespace ts::exporter {
namespace {

// PoolQueue is httplib's TaskQueue over a ConnPool.
struct PoolQueue : httplib::TaskQueue {
  ConnPool pool;
  PoolQueue(size_t core, size_t max) : pool(core, max) {}
  void enqueue(std::function<void()> fn) override { pool.enqueue(std::move(fn)); }
  void shutdown() override { pool.shutdown(); }
};

class HttplibServer final : public HttpServer {
 public:
  explicit HttplibServer(const HttpConfig& c) {
    // An idle client holds a worker until its keep-alive wait ends (also before its first
    // request): that wait is short, and while every worker is held, more start (ConnPool), so
    // silent clients neither queue a scrape behind them nor hold their workers long.
    const size_t core = c.core_workers, max = c.max_workers;
    http_.new_task_queue = [core, max] { return new PoolQueue(core, max); };
    http_.set_read_timeout(c.timeout_s, 0);
    http_.set_write_timeout(c.timeout_s, 0);
    http_.set_keep_alive_timeout(c.idle_s);
    http_.set_keep_alive_max_count(static_cast<size_t>(c.keep_alive_max));
    http_.set_payload_max_length(c.payload_max);
  }

  void get(const std::string& path, HttpHandler handler) override {
    http_.Get(path, [h = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
      HttpReply r;
      h(req.get_header_value("Accept"), r);
      res.status = r.status;
      for (const auto& [k, v] : r.headers) res.set_header(k, v);
      res.set_content(r.body, r.content_type);
    });
  }

  int bind(const std::string& host, int port) override {
    errno = 0;
    if (port == 0) {
      const int p = http_.bind_to_any_port(host);
      return p > 0 ? p : -1;
    }
    return http_.bind_to_port(host, port) ? port : -1;
  }

  void serve() override { http_.listen_after_bind(); }
  void stop() override { http_.stop(); }

 private:
  httplib::Server http_;
};

}  // namespace
}  // namespace ts::exporter

// ts_http_server_new is the plugin's entry point (kHttpPluginSymbol).
extern "C" __attribute__((visibility("default"))) ts::exporter::HttpServer* ts_http_server_new(
    const ts::exporter::HttpConfig* config) {
  try {
    return new ts::exporter::HttplibServer(*config);
  } catch (...) {
    return nullptr;
  }
}
