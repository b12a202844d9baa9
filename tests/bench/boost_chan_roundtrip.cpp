// boost_chan_roundtrip: ns per unbuffered channel round trip (send to an echo coroutine, receive
// the reply) on one thread: goro::chan with GORO_MAXPROCS=1, beside Boost.Fiber's
// unbuffered_channel and Go's chan (GOMAXPROCS=1, via `go run`, when go is installed), all
// measured in this run. Also the buffered (cap 1) ping-pong, and select's cost. Best of 5.
// The goal for goro is <= 50 ns per round trip (Go 1.19 measured 240-253 ns on the dev machine).
#include <stdio.h>
#include <stdlib.h>

#include <boost/fiber/all.hpp>
#include <chrono>
#include <string>

#include "goro/goro.h"

namespace {

constexpr int kRounds = 5;
constexpr int kN = 200000;

using clk = std::chrono::steady_clock;

double ns_per(clk::duration d, int n) { return std::chrono::duration<double, std::nano>(d).count() / n; }

// goro_roundtrip() is the best ns per round trip over kRounds rounds of kN, channels of capacity cap.
double goro_roundtrip(size_t cap, bool via_select) {
  double best = 1e18;
  setenv("GORO_MAXPROCS", "1", 1);
  goro::run([&] {
    goro::chan<int> ping(cap), pong(cap);
    goro::go([ping, pong] {
      for (int v : ping) pong.send(v);
    });
    for (int r = 0; r < kRounds; ++r) {
      auto t = clk::now();
      if (via_select) {
        for (int i = 0; i < kN; ++i) {
          goro::select(goro::on_send(ping, i));
          goro::select(goro::on_recv(pong));
        }
      } else {
        for (int i = 0; i < kN; ++i) {
          ping.send(i);
          pong.recv();
        }
      }
      best = std::min(best, ns_per(clk::now() - t, kN));
    }
    ping.close();
  });
  unsetenv("GORO_MAXPROCS");
  return best;
}

double boost_roundtrip() {
  double best = 1e18;
  boost::fibers::unbuffered_channel<int> ping, pong;
  boost::fibers::fiber echo([&] {
    int v;
    while (ping.pop(v) == boost::fibers::channel_op_status::success) pong.push(v);
  });
  for (int r = 0; r < kRounds; ++r) {
    auto t = clk::now();
    for (int i = 0; i < kN; ++i) {
      ping.push(i);
      int v;
      pong.pop(v);
    }
    best = std::min(best, ns_per(clk::now() - t, kN));
  }
  ping.close();
  echo.join();
  return best;
}

// go_roundtrip() runs chan_roundtrip.go beside this source; < 0 when go is unavailable.
double go_roundtrip() {
  std::string src = __FILE__;
  src = src.substr(0, src.rfind('/') + 1) + "chan_roundtrip.go";
  std::string cmd = "command -v go >/dev/null 2>&1 && go run " + src + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  double ns = -1;
  if (fscanf(p, "%lf", &ns) != 1) ns = -1;
  pclose(p);
  return ns;
}

}  // namespace

int main() {
  double goro_unbuf = goro_roundtrip(0, false);
  double goro_buf = goro_roundtrip(1, false);
  double goro_sel = goro_roundtrip(0, true);
  double boost = boost_roundtrip();
  double go = go_roundtrip();
  printf("unbuffered chan round trip, 1 P (ns, best of %d x %d):\n", kRounds, kN);
  printf("  goro::chan            %7.1f ns\n", goro_unbuf);
  printf("  Boost.Fiber channel   %7.1f ns   goro is %.2fx faster\n", boost, boost / goro_unbuf);
  if (go > 0) printf("  Go 1.19 chan          %7.1f ns   goro is %.2fx faster\n", go, go / goro_unbuf);
  else printf("  Go                    (go not installed: no anchor)\n");
  printf("  goal                     50.0 ns   %s\n", goro_unbuf <= 50 ? "met" : "not met");
  printf("buffered (cap 1) round trip:  goro %.1f ns\n", goro_buf);
  printf("round trip through select:    goro %.1f ns (%.2fx the plain ops)\n", goro_sel, goro_sel / goro_unbuf);
  return 0;
}
