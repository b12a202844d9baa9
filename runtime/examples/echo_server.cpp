// echo_server: a TCP echo server on goro's netpoller, one goroutine per connection.
//
//   build/rel/examples/echo_server [PORT]        (default 7777, on 127.0.0.1)
//
// Each connection's G parks in "IO wait" between messages, so thousands of idle clients cost a
// few KiB each and no thread. Things to watch from another terminal:
//   taskscope gmp $(pgrep echo_server)            Ps, Ms and the Gs parked in "IO wait"
//   for i in $(seq 50); do (sleep 30 | nc 127.0.0.1 7777 &) ; done   idle clients to look at
//   echo hello | nc -q1 127.0.0.1 7777                                one echo
// Stops on SIGINT/SIGTERM (the default action) or when stdin reaches end of file: then it closes
// the listener and every open connection and waits for their Gs, so nothing is left running.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "goro/goro.h"

namespace {

// Conns are the open connections, so that shutdown can close them and wait for their Gs.
struct Conns {
  goro::mutex mu;
  std::set<goro::net::conn*> open;  // guarded by mu
  bool closing = false;             // guarded by mu: no new connection is served
  goro::wait_group serving;

  // close_all() stops serving: every open connection is closed, which wakes its G's read.
  void close_all() {
    std::lock_guard<goro::mutex> l(mu);
    closing = true;
    for (goro::net::conn* c : open) c->close();
  }
};

// serve() echoes everything it reads back to the client until the client closes or shutdown
// closes the connection. The buffer is on the heap; it would fit a G's stack too (128 KiB by
// default, GORO_STACK_SIZE).
void serve(Conns& conns, goro::net::conn c) {
  {
    std::lock_guard<goro::mutex> l(conns.mu);
    if (!conns.closing) conns.open.insert(&c);
    else c.close();
  }
  std::vector<char> buf(32 * 1024);
  std::error_code ec;
  while (size_t n = c.read(buf.data(), buf.size(), ec)) {
    if (c.write(buf.data(), n, ec) != n) break;
  }
  {
    std::lock_guard<goro::mutex> l(conns.mu);
    conns.open.erase(&c);
  }
  conns.serving.done();
}

}  // namespace

int main(int argc, char** argv) {
  long port = argc > 1 ? strtol(argv[1], nullptr, 10) : 7777;
  if (port < 0 || port > 65535) {
    fprintf(stderr, "echo_server: bad port %s (want 0-65535)\n", argv[1]);
    return 2;
  }
  int status = 0;
  goro::run([&] {
    std::error_code ec;
    goro::net::listener ln = goro::net::listen("127.0.0.1", static_cast<uint16_t>(port), ec);
    if (ec) {
      fprintf(stderr, "echo_server: cannot listen on 127.0.0.1:%ld: %s\n", port, ec.message().c_str());
      status = 1;
      return;
    }
    printf("echo_server: pid %d listening on 127.0.0.1:%u\n", getpid(), ln.port());
    fflush(stdout);
    // A G that waits for end of stdin in a syscall (its P is handed off meanwhile), then closes
    // the listener, which wakes the accept loop below.
    goro::go([&ln] {
      char b[256];
      while (goro::syscall([&] { return ::read(0, b, sizeof b); }) > 0) {
      }
      ln.close();
    });
    Conns conns;
    for (;;) {
      goro::net::conn c = ln.accept(ec);
      if (ec) {
        if (ec != goro::net::errc::closed) fprintf(stderr, "echo_server: accept: %s\n", ec.message().c_str());
        break;
      }
      conns.serving.add(1);
      goro::go([&conns, c = std::move(c)]() mutable { serve(conns, std::move(c)); });
    }
    conns.close_all();
    conns.serving.wait();
  });
  return status;
}
