// time.cpp: after() and ticker on the runtime's timer heap.
#include "goro/time.h"

#include "goro/detail/park.h"
#include "sync_fatal.h"

namespace goro {

namespace {

clock::time_point now_tp() { return clock::time_point(std::chrono::nanoseconds(detail::nanotime())); }

// after_timer owns itself: allocated by after(), freed by its own fire (which the runtime calls
// exactly once, after it has finished with the Timer: see the note in fire_after).
struct after_timer {
  detail::Timer t{};
  chan<clock::time_point> c{1};
};

void fire_after(detail::Timer* t) {
  auto* a = static_cast<after_timer*>(t->arg);
  a->c.try_send(now_tp());  // capacity 1 and a single send: never fails
  delete a;
}

}  // namespace

chan<clock::time_point> after(std::chrono::nanoseconds d) {
  auto* a = new after_timer;
  chan<clock::time_point> c = a->c;
  a->t.when_ns = detail::nanotime() + (d.count() > 0 ? d.count() : 0);
  a->t.period_ns = 0;
  a->t.fire = &fire_after;
  a->t.arg = a;
  detail::timer_add(&a->t);
  return c;
}

struct ticker::state {
  detail::Timer t{};
  chan<clock::time_point> c{1};
  bool armed = false;
};

namespace {
void fire_tick(detail::Timer* t) { static_cast<ticker::state*>(t->arg)->c.try_send(now_tp()); }
}  // namespace

ticker::ticker(std::chrono::nanoseconds period) : s_(std::make_unique<state>()) { reset(period); }

ticker::ticker(ticker&&) noexcept = default;

ticker& ticker::operator=(ticker&& o) noexcept {
  if (this != &o) {
    stop();
    s_ = std::move(o.s_);
  }
  return *this;
}

ticker::~ticker() { stop(); }

const chan<clock::time_point>& ticker::c() const { return s_->c; }

void ticker::stop() {
  if (!s_ || !s_->armed) return;
  detail::timer_del(&s_->t);  // waits for a fire running on another thread
  s_->armed = false;
}

void ticker::reset(std::chrono::nanoseconds period) {
  if (period.count() <= 0) detail::sync_panic("non-positive interval for NewTicker");
  stop();
  s_->t = detail::Timer{};
  s_->t.when_ns = detail::nanotime() + period.count();
  s_->t.period_ns = period.count();
  s_->t.fire = &fire_tick;
  s_->t.arg = s_.get();
  detail::timer_add(&s_->t);
  s_->armed = true;
}

}  // namespace goro
