// select_test.cpp: goro::select: fairness, default, blocking, closed and nil cases, contention.
#include <atomic>
#include <vector>

#include "chan_support.h"
#include "goro/chan.h"
#include "goro/runtime.h"
#include "goro/select.h"
#include "goro/wait_group.h"
#include "../support/support.h"

using goro_test::run_procs;

TEST_CASE("select: two always-ready cases are each chosen 40-60% of the time", "[goro][select]") {
  int procs = GORO_PROCS();
  constexpr int kN = 10000;
  int a = 0, b = 0;
  run_procs(procs, [&] {
    goro::chan<int> ca(1), cb(1);
    ca.send(1);
    cb.send(2);
    for (int i = 0; i < kN; ++i) {
      goro::select(goro::on_recv(ca, [&](std::optional<int>) { ++a; ca.send(1); }),
                   goro::on_recv(cb, [&](std::optional<int>) { ++b; cb.send(2); }));
    }
  });
  CHECK(a + b == kN);
  CHECK(a >= kN * 4 / 10);
  CHECK(a <= kN * 6 / 10);
}

TEST_CASE("select: default runs only when no case is ready", "[goro][select]") {
  int procs = GORO_PROCS();
  int idle_pick = -1, ready_pick = -1, send_pick = -1, value = 0;
  run_procs(procs, [&] {
    goro::chan<int> c(1), d(1);
    idle_pick = goro::select(goro::on_recv(c), goro::on_send(c, 5), goro::on_default());
    // c now holds 5 (the send case was the only ready one) ... unless default won: it cannot.
    ready_pick = goro::select(goro::on_recv(c, [&](std::optional<int> v) { value = v.value_or(-1); }),
                              goro::on_default());
    d.send(0);
    send_pick = goro::select(goro::on_send(d, 1), goro::on_default());  // d is full
  });
  CHECK(idle_pick == 1);
  CHECK(ready_pick == 0);
  CHECK(value == 5);
  CHECK(send_pick == 1);
}

TEST_CASE("select: parks until a case fires, then leaves the other channels clean", "[goro][select]") {
  int procs = GORO_PROCS();
  int pick = -1, got = 0, later = 0;
  bool other_empty = false;
  run_procs(procs, [&] {
    goro::chan<int> a, b, c;
    goro::go([b]() mutable {
      goro::sleep_for(std::chrono::milliseconds(2));
      b.send(42);
    });
    pick = goro::select(goro::on_recv(a), goro::on_recv(b, [&](std::optional<int> v) { got = *v; }),
                        goro::on_send(c, 9));
    // The select's sudogs on a and c must be gone: a later send on a must reach this receiver only.
    goro::go([a]() mutable { a.send(7); });
    later = *a.recv();
    other_empty = !c.try_send(1);  // no stale receiver left in c's queue
  });
  CHECK(pick == 1);
  CHECK(got == 42);
  CHECK(later == 7);
  CHECK(other_empty);
}

TEST_CASE("select: a closed channel's receive case fires with no value; nil cases never fire",
          "[goro][select]") {
  int procs = GORO_PROCS();
  int pick = -1;
  bool had_value = true;
  int nil_pick = -1;
  run_procs(procs, [&] {
    goro::chan<int> closed, nil(nullptr);
    closed.close();
    pick = goro::select(goro::on_recv(nil), goro::on_recv(closed, [&](std::optional<int> v) { had_value = v.has_value(); }));
    nil_pick = goro::select(goro::on_recv(nil), goro::on_send(nil, 1), goro::on_default());
  });
  CHECK(pick == 1);
  CHECK_FALSE(had_value);
  CHECK(nil_pick == 2);
}

TEST_CASE("select: send case hands off to a parked receiver", "[goro][select]") {
  int procs = GORO_PROCS();
  int got = 0, pick = -1;
  run_procs(procs, [&] {
    goro::chan<int> c, done;
    goro::go([c, done, &got]() mutable {
      got = *c.recv();
      done.send(1);
    });
    goro::sleep_for(std::chrono::milliseconds(1));
    pick = goro::select(goro::on_send(c, 77));
    done.recv();
  });
  CHECK(pick == 0);
  CHECK(got == 77);
}

TEST_CASE("select: many selecting Gs on shared channels deliver every value exactly once",
          "[goro][select]") {
  int procs = GORO_PROCS();
  constexpr int kProducers = 8, kPer = 500, kConsumers = 6;
  long long sum = 0;
  int count = 0;
  run_procs(procs, [&] {
    goro::chan<int> c1, c2(4), quit;
    goro::chan<std::pair<long long, int>> results(kConsumers);
    goro::wait_group wg;
    for (int p = 0; p < kProducers; ++p) {
      wg.add(1);
      goro::go([c1, c2, p, &wg]() mutable {
        for (int i = 1; i <= kPer; ++i) {
          // Producers also select, between the two channels: both directions contend.
          goro::select(goro::on_send(c1, i), goro::on_send(c2, i));
        }
        (void)p;
        wg.done();
      });
    }
    for (int k = 0; k < kConsumers; ++k) {
      goro::go([c1, c2, quit, results]() mutable {
        long long s = 0;
        int n = 0;
        for (bool done = false; !done;) {
          goro::select(goro::on_recv(c1, [&](std::optional<int> v) { s += *v; ++n; }),
                       goro::on_recv(c2, [&](std::optional<int> v) { s += *v; ++n; }),
                       goro::on_recv(quit, [&](std::optional<int>) { done = true; }));
        }
        // Drain what is left in the buffer after quit.
        std::optional<int> v;
        while (c2.try_recv(v) && v) {
          s += *v;
          ++n;
        }
        results.send({s, n});
      });
    }
    wg.wait();
    quit.close();
    for (int k = 0; k < kConsumers; ++k) {
      auto [s, n] = *results.recv();
      sum += s;
      count += n;
    }
  });
  CHECK(count == kProducers * kPer);
  CHECK(sum == static_cast<long long>(kProducers) * kPer * (kPer + 1) / 2);
}

TEST_CASE("select: with no cases parks forever in \"select (no cases)\"", "[goro][select]") {
  auto r = ts::test::run({ts::test::fixture_path("goro_chan_misuse"), "select-none"});
  CHECK(r.status == 2);
  CHECK(r.err.find("all goroutines are asleep - deadlock!") != std::string::npos);
  CHECK(r.err.find("select (no cases)") != std::string::npos);
}
