// timer_park_test.cpp: due timers and parking Gs (issue 9). A G parking in park() holds its wait
// queue's lock until the scheduler has left its stack; a due timer fired in that window took the
// same lock (after() and ticker send into a channel; a timer may signal a cond or unlock a mutex)
// and spun on it forever, at 100% CPU, after some tens of iterations. Each shape here hung before
// the fix; a hang ends the binary through leak_check.h's watchdog, or kills the child process.
#include <atomic>
#include <memory>
#include <vector>

#include "../support/support.h"
#include "chan_support.h"
#include "goro/chan.h"
#include "goro/cond.h"
#include "goro/detail/park.h"
#include "goro/mutex.h"
#include "goro/runtime.h"
#include "goro/select.h"
#include "goro/time.h"
#include "goro/wait_group.h"

using goro_test::run_procs;
using namespace std::chrono_literals;

TEST_CASE("after(0) received in a loop returns every time", "[goro][time][hang]") {
  int procs = GORO_PROCS();
  int got = 0;
  run_procs(procs, [&] {
    for (int i = 0; i < 3000; ++i) got += goro::after(i % 2 ? 0ns : -1ms).recv().has_value();
  });
  CHECK(got == 3000);
}

TEST_CASE("select on a silent channel and after(0), in a loop, takes the timer every time", "[goro][time][hang]") {
  int procs = GORO_PROCS();
  int timer_cases = 0;
  run_procs(procs, [&] {
    goro::chan<int> silent;
    for (int i = 0; i < 3000; ++i)
      timer_cases += goro::select(goro::on_recv(silent), goro::on_recv(goro::after(0ns))) == 1;
  });
  CHECK(timer_cases == 3000);
}

TEST_CASE("a 10 us ticker read in a loop keeps ticking", "[goro][time][hang]") {
  int procs = GORO_PROCS();
  int ticks = 0, backwards = 0;
  run_procs(procs, [&] {
    goro::ticker t(10us);
    goro::clock::time_point last{};
    for (; ticks < 5000; ++ticks) {
      auto v = t.c().recv();
      if (!v || *v <= last) ++backwards;
      if (v) last = *v;
    }
  });
  CHECK(ticks == 5000);
  CHECK(backwards == 0);
}

namespace {

// fire_signal is a periodic timer's fire that signals a cond: it takes the cond's lock, which the
// G waiting on it holds while it parks.
void fire_signal(goro::detail::Timer* t) { static_cast<goro::cond*>(t->arg)->signal(); }

// fire_unlock unlocks a mutex a G is blocked on: it takes the mutex's sema lock, held by the
// blocked G while it parks.
void fire_unlock(goro::detail::Timer* t) { static_cast<goro::mutex*>(t->arg)->unlock(); }

}  // namespace

TEST_CASE("cond: a due timer signalling the cond its G parks on", "[goro][time][hang]") {
  int procs = GORO_PROCS();
  int waits = 0;
  run_procs(procs, [&] {
    goro::mutex mu;
    goro::cond cv(mu);
    goro::detail::Timer t{};
    t.when_ns = goro::detail::nanotime();  // due at once, then every 10 us: a lost signal is re-sent
    t.period_ns = 10'000;
    t.fire = &fire_signal;
    t.arg = &cv;
    goro::detail::timer_add(&t);
    mu.lock();
    for (; waits < 2000; ++waits) cv.wait();
    mu.unlock();
    goro::detail::timer_del(&t);
  });
  CHECK(waits == 2000);
}

TEST_CASE("mutex: a due timer unlocking the mutex its G blocks on", "[goro][time][hang]") {
  int procs = GORO_PROCS();
  int handoffs = 0;
  bool deleted_armed = false;
  run_procs(procs, [&] {
    goro::mutex mu;
    mu.lock();
    for (; handoffs < 2000; ++handoffs) {
      goro::detail::Timer t{};
      t.when_ns = goro::detail::nanotime();  // already due
      t.fire = &fire_unlock;
      t.arg = &mu;
      goro::detail::timer_add(&t);
      mu.lock();  // blocks until the timer unlocked it
      deleted_armed |= goro::detail::timer_del(&t);  // fired: false; waits out a fire still returning
    }
    mu.unlock();
  });
  CHECK(handoffs == 2000);
  CHECK_FALSE(deleted_armed);
}

namespace {

// fire_slow_tick is a periodic timer's fire that takes 1 ms (busy), then sends a tick: the timer is
// off the heap, firing, long enough for an idle M to become the poller meanwhile.
void fire_slow_tick(goro::detail::Timer* t) {
  const int64_t until = goro::detail::nanotime() + 1'000'000;
  while (goro::detail::nanotime() < until) {
  }
  static_cast<goro::chan<int>*>(t->arg)->try_send(1);
}

}  // namespace

TEST_CASE("a ticker re-armed while the poller sleeps toward a later timer still ticks", "[goro][time][hang]") {
  int procs = GORO_PROCS();
  int ticks = 0;
  run_procs(procs, [&] {
    // The poller sleeps until the earliest timer it saw: while the ticker fires it saw only this
    // far one. Re-arming the ticker must wake it, as a timer_add does; else (every other M idle,
    // sysmon deferring to the poller) the next tick waited an hour.
    goro::detail::Timer far{};
    far.when_ns = goro::detail::nanotime() + int64_t(3600) * 1'000'000'000;
    far.fire = [](goro::detail::Timer*) {};
    goro::detail::timer_add(&far);
    goro::chan<int> c(1);
    goro::detail::Timer tick{};
    tick.when_ns = goro::detail::nanotime() + 200'000;
    tick.period_ns = 200'000;
    tick.fire = &fire_slow_tick;
    tick.arg = &c;
    goro::detail::timer_add(&tick);
    for (; ticks < 100; ++ticks) c.recv();
    goro::detail::timer_del(&tick);
    goro::detail::timer_del(&far);
  });
  CHECK(ticks == 100);
}

namespace {

// Stress is what the stress test's workers count; asserted after run() returns.
struct Stress {
  std::atomic<int> zero{0}, tiny_timer{0}, tiny_value{0}, long_deleted{0}, long_not_deleted{0};
  std::atomic<int> tickers_handed{0}, tickers_stopped{0}, ticks{0}, iterations{0};
};

void fire_send(goro::detail::Timer* t) { static_cast<goro::chan<int>*>(t->arg)->try_send(1); }

// stress_step() is one iteration of worker w: a zero, tiny or long deadline, in a select or not,
// a one-shot timer deleted while it may be firing on another P, or a ticker created here and
// handed (reset and stopped) to whichever G takes it from `handoff`, likely on another P.
void stress_step(Stress& s, int w, int i, goro::chan<int>& events, goro::chan<goro::ticker*>& handoff) {
  switch ((w + i) % 6) {
    case 0:  // zero and negative deadlines
      s.zero += goro::after(i % 2 ? 0ns : -5ms).recv().has_value();
      break;
    case 1: {  // a tiny deadline racing a channel another worker may send on
      int pick = goro::select(goro::on_recv(events), goro::on_recv(goro::after(std::chrono::microseconds(i % 50)))) ;
      (pick == 1 ? s.tiny_timer : s.tiny_value)++;
      goro::select(goro::on_send(events, i), goro::on_default());  // feed another worker's case 1
      break;
    }
    case 2: {  // a long deadline, armed then deleted: it must still be armed
      goro::detail::Timer t{};
      t.when_ns = goro::detail::nanotime() + int64_t(3600) * 1'000'000'000;
      t.fire = &fire_send;
      goro::detail::timer_add(&t);
      (goro::detail::timer_del(&t) ? s.long_deleted : s.long_not_deleted)++;
      break;
    }
    case 3: {  // a zero or tiny one-shot timer deleted while it may be firing on another M
      goro::chan<int> c(1);
      goro::detail::Timer t{};
      t.when_ns = goro::detail::nanotime() + (i % 3) * 1000;
      t.fire = &fire_send;
      t.arg = &c;
      goro::detail::timer_add(&t);
      goro::ticker slow(1h);
      goro::select(goro::on_recv(c), goro::on_recv(slow.c()), goro::on_default());
      goro::detail::timer_del(&t);  // waits for a fire still touching c
      break;
    }
    case 4: {  // a fast ticker handed to another G, which reads, resets and stops it
      auto* t = new goro::ticker(std::chrono::microseconds(5 + i % 20));
      s.ticks += t->c().recv().has_value();
      handoff.send(t);
      s.tickers_handed++;
      break;
    }
    case 5:  // a zero or tiny sleep
      goro::sleep_for(std::chrono::microseconds(i % 3));
      break;
  }
}

}  // namespace

TEST_CASE("timers stress: zero, tiny and long deadlines, select, stop and reset across Ps", "[goro][time][hang]") {
  int procs = GORO_PROCS();
  constexpr int kWorkers = 8, kIters = 240;
  Stress s;
  int ticks_after_stop = -1;
  run_procs(procs, [&] {
    goro::chan<int> events;
    goro::chan<goro::ticker*> handoff(kWorkers * kIters);
    goro::wait_group wg;
    std::vector<std::unique_ptr<goro::ticker>> stopped;
    goro::mutex stopped_mu;
    wg.add(kWorkers + 1);
    goro::go([&] {  // takes the handed tickers: read one tick, reset (tiny or long), stop
      for (int n = 0;; ++n) {
        auto t = handoff.recv();
        if (!t) break;
        std::unique_ptr<goro::ticker> owned(*t);
        s.ticks += owned->c().recv().has_value();
        owned->reset(n % 2 ? 1h : 3us);
        goro::select(goro::on_recv(owned->c()), goro::on_recv(goro::after(n % 3 ? 0ns : 20us)));
        owned->stop();
        std::optional<goro::clock::time_point> v;
        owned->c().try_recv(v);  // at most one tick was buffered before stop
        s.tickers_stopped++;
        std::lock_guard<goro::mutex> l(stopped_mu);
        stopped.push_back(std::move(owned));
      }
      wg.done();
    });
    std::atomic<int> workers_left{kWorkers};
    for (int w = 0; w < kWorkers; ++w)
      goro::go([&, w] {
        for (int i = 0; i < kIters; ++i, s.iterations++) stress_step(s, w, i, events, handoff);
        if (--workers_left == 0) handoff.close();
        wg.done();
      });
    wg.wait();
    goro::sleep_for(2ms);  // a stopped ticker must stay silent
    ticks_after_stop = 0;
    std::optional<goro::clock::time_point> v;
    for (auto& t : stopped) ticks_after_stop += t->c().try_recv(v);
  });
  CHECK(s.iterations == kWorkers * kIters);
  CHECK(s.zero == kWorkers * kIters / 6);
  CHECK(s.tiny_timer + s.tiny_value == kWorkers * kIters / 6);
  CHECK(s.long_deleted == kWorkers * kIters / 6);
  CHECK(s.long_not_deleted == 0);
  CHECK(s.tickers_handed == kWorkers * kIters / 6);
  CHECK(s.tickers_stopped == s.tickers_handed);
  CHECK(s.ticks == 2 * s.tickers_handed);
  CHECK(ticks_after_stop == 0);
}

TEST_CASE("the issue's timer loops, written against the public headers, finish", "[goro][time][hang]") {
  std::string procs = GENERATE("1", "2", "4", "8");
  std::string mode = GENERATE("after0", "select_after0", "ticker");
  const std::string n = mode == "ticker" ? "5000" : "20000";
  auto r = ts::test::run({"/usr/bin/env", "GORO_MAXPROCS=" + procs, ts::test::fixture_path("goro_timer_loops"), mode, n},
                         std::chrono::seconds(90));
  INFO(mode << " with " << procs << " Ps: " << r.err);
  CHECK_FALSE(r.timed_out);
  CHECK(r.status == 0);
  CHECK(r.out == "{\"mode\":\"" + mode + "\",\"gomaxprocs\":\"" + procs + "\",\"iterations\":" + n + "}\n");
}
