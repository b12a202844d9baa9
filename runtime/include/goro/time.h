// time.h: channel timers, Go's time.After and time.Ticker.
//
//   goro::select(goro::on_recv(c, use), goro::on_recv(goro::after(100ms), [&](auto) { late(); }));
//   goro::ticker t(10ms);
//   for (int i = 0; i < 5; ++i) t.c().recv();   // five ticks
//   t.stop();
//
// Both sit on the runtime's timer heap (detail::timer_add); their fire callback does a
// non-blocking send into a channel of capacity 1, so a slow receiver drops ticks, as in Go.
#pragma once
#include <chrono>
#include <memory>

#include "goro/chan.h"

namespace goro {

// clock is the clock timers use: CLOCK_MONOTONIC, as detail::nanotime().
using clock = std::chrono::steady_clock;

// after() returns a channel that receives the current time once, d from now (Go's time.After).
// The timer holds the channel until it fires; a negative or zero d fires at once.
chan<clock::time_point> after(std::chrono::nanoseconds d);

// ticker delivers the time on c() every period (Go's time.Ticker); a receiver that falls behind
// loses ticks rather than queueing them. stop() (or destruction) stops it; c() stays valid.
class ticker {
 public:
  // ticker() starts ticking; period must be positive (else it panics, as Go's NewTicker).
  explicit ticker(std::chrono::nanoseconds period);
  ticker(ticker&&) noexcept;
  ticker& operator=(ticker&&) noexcept;
  ~ticker();

  // c() is the channel the ticks arrive on.
  const chan<clock::time_point>& c() const;
  // stop() stops the ticks; none is sent after it returns. Idempotent.
  void stop();
  // reset() stops the ticker and restarts it with a new period.
  void reset(std::chrono::nanoseconds period);

  struct state;

 private:
  std::unique_ptr<state> s_;
};

}  // namespace goro
