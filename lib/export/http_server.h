// http_server.h: HttpServer, the plain-HTTP server `taskscope export` serves /metrics from, and
// where it comes from. Its implementation (plugins/http: cpp-httplib over ConnPool) is a plugin
// that only `export` loads: Debian builds cpp-httplib with OpenSSL, brotli and zlib, and linking it
// into the taskscope binary made every process start load and initialise those, 2.9 ms of CPU of
// a 5.4 ms start (more than half of what `taskscope --version` cost), paid by every one-shot ps
// and stack for a server they never run.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ts::exporter {

// HttpConfig is how the server treats connections (see ExportOptions).
struct HttpConfig {
  size_t core_workers = 2;     // connection workers always there
  size_t max_workers = 64;     // at most this many at once (more start while all are busy)
  int timeout_s = 5;           // read/write timeout of a connection
  int idle_s = 2;              // a connection with no request for this long is closed
  int keep_alive_max = 100;    // requests per connection
  size_t payload_max = 64 * 1024;
};

// HttpReply is a handler's answer (status 200 unless set).
struct HttpReply {
  int status = 200;
  std::string body, content_type;
  std::vector<std::pair<std::string, std::string>> headers;
};

// HttpHandler answers a GET; `accept` is the request's Accept header ("" when absent). Called on
// the server's worker threads, several at once.
using HttpHandler = std::function<void(const std::string& accept, HttpReply& reply)>;

// HttpServer serves GET routes over plain HTTP.
class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // get() routes GET `path` to `handler`. Before serve() only.
  virtual void get(const std::string& path, HttpHandler handler) = 0;
  // bind() binds `host`:`port` (0: a port the kernel picks) and returns the bound port, or -1
  // with errno set.
  virtual int bind(const std::string& host, int port) = 0;
  // serve() accepts and serves connections until stop(); blocks.
  virtual void serve() = 0;
  // stop() makes serve() return; callable from any thread.
  virtual void stop() = 0;
};

// kHttpPluginSymbol is the plugin's one entry point: extern "C" HttpServer* NAME(const HttpConfig*),
// a new server the caller owns (null when it cannot make one).
inline constexpr const char* kHttpPluginSymbol = "ts_http_server_new";

// http_plugin_path() is where the plugin lies: $TASKSCOPE_HTTP_PLUGIN, else lib/taskscope/http.so
// beside the running executable's directory (build/rel/bin -> build/rel/lib/taskscope, as
// PREFIX/bin -> PREFIX/lib/taskscope after make install).
std::string http_plugin_path();

// make_http_server() loads the plugin (once per process) and makes a server. Throws ts::Error
// (status 1) naming the plugin's path and what the loader said when it cannot.
std::unique_ptr<HttpServer> make_http_server(const HttpConfig& config);

}  // namespace ts::exporter
