// server.h: Exporter, `taskscope export`'s process: top's Collector on its own thread, each Frame
// rendered once (both formats) into an immutable Page swapped in under a pointer, and an HTTP
// server (cpp-httplib, plain HTTP) whose /metrics handler only copies the newest Page's bytes. A
// request never collects; a slow or idle client holds one worker at most until the read timeout,
// and never the collector.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "export/exposition.h"
#include "export/listen_address.h"

namespace ts::exporter {

// ExportOptions is what `taskscope export` was asked.
struct ExportOptions {
  ListenAddress listen{"0.0.0.0", 9890};
  double delay_s = 5;          // between collections (-d)
  std::string source = "auto"; // "auto", "proc" or "bpf"
  size_t top_threads = 0;      // --threads=top:N
  bool go = true;              // read the G/M/P of Go programs too (view::go_programs(): bounded)
  int workers = 2;             // HTTP worker threads always there
  int max_connections = 64;    // connections served at once (more workers start while all are busy);
                               // beyond it, connections wait for one to end
  int timeout_s = 5;           // read/write timeout of a connection
  int idle_s = 2;              // a connection with no request for this long is closed
};

// Page is one rendered Frame, in both formats.
struct Page {
  uint64_t seq = 0;
  std::string openmetrics, text004;
};

// Exporter binds at construction (so a port in use fails before any collection) and serves from
// run() until stopped.
class Exporter {
 public:
  // Exporter() binds opts.listen. Throws ts::Error (status 1) naming the address when it cannot.
  explicit Exporter(ExportOptions opts);
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // port() is the bound port (the one the kernel chose for port 0).
  int port() const;
  // run() collects and serves until `stop_fd` is readable; notes (once each kind) go to `err`.
  // Throws ts::Error when the collector's source cannot open.
  void run(int stop_fd, std::ostream& err);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ts::exporter
