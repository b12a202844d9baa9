// netpoll_test.cpp: the netpoller through goro::net: echo over loopback with concurrent clients,
// a G blocked in IO wait does not stall the others, close wakes blocked readers, errors.
#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include "chan_support.h"
#include "goro/chan.h"
#include "goro/detail/park.h"
#include "goro/net.h"
#include "goro/runtime.h"
#include "goro/wait_group.h"

using goro_test::run_procs;

namespace {

// serve_echo() accepts until the listener is closed, echoing each connection in its own G.
void serve_echo(goro::net::listener& ln, goro::wait_group& conns) {
  for (;;) {
    std::error_code ec;
    goro::net::conn c = ln.accept(ec);
    if (ec) return;
    conns.add(1);
    goro::go([c = std::move(c), &conns]() mutable {
      char buf[4096];
      std::error_code e;
      while (size_t n = c.read(buf, sizeof buf, e)) {
        if (c.write(buf, n, e) != n) break;
      }
      conns.done();
    });
  }
}

}  // namespace

TEST_CASE("netpoll: echo over loopback with several concurrent clients", "[goro][netpoll]") {
  int procs = GORO_PROCS();
  constexpr int kClients = 8, kMessages = 50;
  int ok_clients = 0;
  std::string first_error;
  run_procs(procs, [&] {
    goro::net::listener ln = goro::net::listen("127.0.0.1", 0);
    uint16_t port = ln.port();
    goro::wait_group conns, server;
    server.add(1);
    goro::go([&] {
      serve_echo(ln, conns);
      server.done();
    });
    goro::chan<std::string> results(kClients);
    for (int k = 0; k < kClients; ++k) {
      goro::go([k, port, results]() mutable {
        std::error_code ec;
        goro::net::conn c = goro::net::connect("127.0.0.1", port, ec);
        if (ec) return results.send("connect: " + ec.message());
        for (int m = 0; m < kMessages; ++m) {
          // Large enough to need several reads now and then.
          std::string msg = "client " + std::to_string(k) + " message " + std::to_string(m) + " " +
                            std::string(static_cast<size_t>(100 + 997 * m % 20000), 'a' + k);
          if (c.write(msg.data(), msg.size(), ec) != msg.size()) return results.send("write: " + ec.message());
          std::string back(msg.size(), '\0');
          size_t got = 0;
          while (got < back.size()) {
            size_t n = c.read(back.data() + got, back.size() - got, ec);
            if (ec || n == 0) return results.send("read: " + (ec ? ec.message() : std::string("EOF")));
            got += n;
          }
          if (back != msg) return results.send("echo mismatch");
        }
        results.send("");
      });
    }
    for (int k = 0; k < kClients; ++k) {
      std::string r = *results.recv();
      if (r.empty()) ++ok_clients;
      else if (first_error.empty()) first_error = r;
    }
    conns.wait();  // clients closed their ends: every echo G saw EOF
    ln.close();    // wakes the acceptor with errc::closed
    server.wait();
  });
  INFO(first_error);
  CHECK(ok_clients == kClients);
}

TEST_CASE("netpoll: a G blocked in IO wait does not stall other Gs, even with 1 P", "[goro][netpoll]") {
  int procs = GORO_PROCS();
  long long work = 0;
  bool reader_closed_error = false;
  bool has_waiters_while_blocked = false;
  run_procs(procs, [&] {
    goro::net::listener ln = goro::net::listen("127.0.0.1", 0);
    goro::net::conn client = goro::net::connect("127.0.0.1", ln.port());
    goro::net::conn server = ln.accept();
    goro::chan<int> reader_done;
    goro::go([&server, &reader_closed_error, reader_done]() mutable {
      char b;
      std::error_code ec;
      server.read(&b, 1, ec);  // nobody ever writes: parks in IO wait
      reader_closed_error = ec == goro::net::errc::closed;
      reader_done.send(1);
    });
    goro::yield();
    // Meanwhile other Gs run to completion on the same P(s).
    goro::chan<long long> sums(4);
    for (int g = 0; g < 4; ++g) {
      goro::go([sums]() mutable {
        long long s = 0;
        for (int i = 0; i < 1000; ++i) {
          s += i;
          if (i % 100 == 0) goro::yield();
        }
        sums.send(s);
      });
    }
    for (int g = 0; g < 4; ++g) work += *sums.recv();
    // The reader may still be queued on another P (or mid-park) when the others finish: give it
    // until it parks in IO wait, which it must do eventually (it never gets a byte).
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!(has_waiters_while_blocked = goro::detail::netpoll_has_waiters()) &&
           std::chrono::steady_clock::now() < give_up)
      goro::sleep_for(std::chrono::milliseconds(1));
    server.close();  // wakes the reader
    reader_done.recv();
  });
  CHECK(work == 4 * 499500LL);
  CHECK(has_waiters_while_blocked);
  CHECK(reader_closed_error);
}

TEST_CASE("netpoll: peer close gives EOF; connect to a closed port and bad hosts fail cleanly",
          "[goro][netpoll]") {
  int procs = GORO_PROCS();
  bool eof = false, refused = false, bad_host = false, throws = false;
  size_t after_close_n = 1;
  bool after_close_err = false;
  run_procs(procs, [&] {
    goro::net::listener ln = goro::net::listen("localhost", 0);
    uint16_t port = ln.port();
    goro::net::conn c = goro::net::connect("localhost", port);
    goro::net::conn s = ln.accept();
    c.close();
    char buf[16];
    std::error_code ec;
    eof = s.read(buf, sizeof buf, ec) == 0 && !ec;
    after_close_n = c.read(buf, sizeof buf, ec);
    after_close_err = ec == goro::net::errc::closed;
    ln.close();
    s.close();
    goro::net::connect("127.0.0.1", port, ec);  // nobody listens there any more
    refused = ec == std::errc::connection_refused;
    goro::net::listen("not-an-address", 0, ec);
    bad_host = ec == std::errc::invalid_argument;
    try {
      goro::net::connect("127.0.0.1", port);
    } catch (const std::system_error&) {
      throws = true;
    }
  });
  CHECK(eof);
  CHECK(after_close_n == 0);
  CHECK(after_close_err);
  CHECK(refused);
  CHECK(bad_host);
  CHECK(throws);
}
