// time_test.cpp: goro::after and goro::ticker. Only lower bounds and orders are asserted: the
// machine may be loaded, so nothing here depends on how late a timer fires.
#include <vector>

#include "chan_support.h"
#include "goro/chan.h"
#include "goro/runtime.h"
#include "goro/select.h"
#include "goro/time.h"

using goro_test::run_procs;
using namespace std::chrono_literals;

TEST_CASE("after: fires once, no earlier than asked, in deadline order", "[goro][time]") {
  int procs = GORO_PROCS();
  goro::clock::time_point start, t30, t10, t20;
  bool second_recv = true;
  run_procs(procs, [&] {
    start = goro::clock::now();
    auto c30 = goro::after(30ms);
    auto c10 = goro::after(10ms);
    auto c20 = goro::after(20ms);
    t30 = *c30.recv();  // wait on the last one first: the others fire meanwhile, into their buffer
    t10 = *c10.recv();
    t20 = *c20.recv();
    std::optional<goro::clock::time_point> v;
    second_recv = c10.try_recv(v);  // exactly one value, and the channel is not closed
  });
  CHECK(t10 - start >= 10ms);
  CHECK(t20 - start >= 20ms);
  CHECK(t30 - start >= 30ms);
  CHECK(t10 <= t20);
  CHECK(t20 <= t30);
  CHECK_FALSE(second_recv);
}

TEST_CASE("after: a select times out on a silent channel", "[goro][time]") {
  int procs = GORO_PROCS();
  int pick = -1;
  goro::clock::duration waited{};
  run_procs(procs, [&] {
    goro::chan<int> silent;
    auto t0 = goro::clock::now();
    pick = goro::select(goro::on_recv(silent), goro::on_recv(goro::after(5ms)));
    waited = goro::clock::now() - t0;
  });
  CHECK(pick == 1);
  CHECK(waited >= 5ms);
}

TEST_CASE("after: zero and negative durations fire at once", "[goro][time]") {
  int procs = GORO_PROCS();
  bool got = false;
  run_procs(procs, [&] {
    got = goro::after(0ns).recv().has_value() && goro::after(-5ms).recv().has_value();
  });
  CHECK(got);
}

TEST_CASE("ticker: ticks are at least a period apart from the start, and stop stops them",
          "[goro][time]") {
  int procs = GORO_PROCS();
  constexpr auto kPeriod = 3ms;
  std::vector<goro::clock::time_point> ticks;
  goro::clock::time_point start;
  bool tick_after_stop = true;
  run_procs(procs, [&] {
    start = goro::clock::now();
    goro::ticker t(kPeriod);
    for (int i = 0; i < 5; ++i) ticks.push_back(*t.c().recv());
    t.stop();
    std::optional<goro::clock::time_point> v;
    t.c().try_recv(v);  // at most one tick was buffered before stop
    goro::sleep_for(4 * kPeriod);
    tick_after_stop = t.c().try_recv(v);
  });
  REQUIRE(ticks.size() == 5);
  for (size_t i = 0; i < ticks.size(); ++i) {
    CHECK(ticks[i] - start >= (static_cast<int>(i) + 1) * kPeriod);
    if (i > 0) CHECK(ticks[i] > ticks[i - 1]);
  }
  CHECK_FALSE(tick_after_stop);
}

TEST_CASE("ticker: reset changes the period; destruction stops it", "[goro][time]") {
  int procs = GORO_PROCS();
  goro::clock::time_point start, a, b;
  run_procs(procs, [&] {
    start = goro::clock::now();
    goro::ticker t(1h);
    t.reset(2ms);
    a = *t.c().recv();
    b = *t.c().recv();
  });
  CHECK(a - start >= 2ms);
  CHECK(b - start >= 4ms);
  CHECK(b > a);
  CHECK(b - start < 1h);
}
