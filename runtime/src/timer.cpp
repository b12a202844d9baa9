// timer.cpp: the timer heap (one, global, under a mutex) and sleep_for.
//
// Go keeps a heap per P; goro keeps one: timer operations are rare next to switches, and a single
// heap lets timer_del run from any thread without chasing a timer across Ps. next_when mirrors
// the heap top so the scheduler's checks cost one relaxed load when no timer is due.
// fire() runs with the lock dropped, on whichever scheduler thread noticed the deadline (an M in
// findrunnable or after a switch, the poller M, or sysmon), and never while a G parking on that
// thread still holds its wait-queue lock (a fire may send into that very channel). While it runs, the thread's fire slot names the timer,
// so timer_del can wait for it; a one-shot timer is never touched after its fire() returns (the
// sleeping G may already have freed it).
#include <sched.h>
#include <time.h>

#include <thread>
#include <vector>

#include "goro/introspect_abi.h"
#include "goro/runtime.h"
#include "sched.h"

namespace goro::detail {

enum TimerState : uint32_t { kIdle = 0, kArmed = 1, kFiring = 2, kDeletedWhileFiring = 3 };

static std::mutex mu;
static std::vector<Timer*> heap;  // heap[i]->heap_pos_ == i + 1
static std::atomic<int64_t> next_when{0};
static std::atomic<Timer*> fire_slots[kMaxM + 1];
static thread_local int my_slot = -1;

void timer_thread_slot(uint32_t slot) { my_slot = int(slot); }

static void set_pos(size_t i) { heap[i]->heap_pos_ = uint32_t(i + 1); }

static void sift_up(size_t i) {
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (heap[parent]->when_ns <= heap[i]->when_ns) break;
    std::swap(heap[parent], heap[i]);
    set_pos(parent);
    set_pos(i);
    i = parent;
  }
}

static void sift_down(size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < heap.size() && heap[l]->when_ns < heap[m]->when_ns) m = l;
    if (r < heap.size() && heap[r]->when_ns < heap[m]->when_ns) m = r;
    if (m == i) return;
    std::swap(heap[m], heap[i]);
    set_pos(m);
    set_pos(i);
    i = m;
  }
}

static void remove_at(size_t i) {
  heap[i]->heap_pos_ = 0;
  heap[i] = heap.back();
  heap.pop_back();
  if (i < heap.size()) {
    set_pos(i);
    sift_down(i);
    sift_up(i);
  }
}

// update_next_locked() mirrors the top. seq_cst (off the switch path: timer operations only): it
// pairs with block_idle's seq_cst re-read after it published itself as the poller, against
// wake_poller()'s seq_cst load of sched.poller: either the poller sees the new top, or the writer
// sees the poller and wakes it. Readers that then take the lock to fire need no more.
static void update_next_locked() { next_when.store(heap.empty() ? 0 : heap[0]->when_ns, std::memory_order_seq_cst); }

int64_t timer_next() { return next_when.load(std::memory_order_relaxed); }
int64_t timer_next_sc() { return next_when.load(std::memory_order_seq_cst); }

// wake_poller() wakes the M blocked until the next timer when `when`, a new heap top, is earlier
// than what it sleeps to (or it sleeps without a deadline), so it re-arms its timeout. Call it
// with mu released, after the top changed.
static void wake_poller(int64_t when) {
  if (M* pm = sched.poller.load()) {
    int64_t until = sched.poll_until.load();
    if (until == 0 || when < until) {
      notewakeup(pm);
      netpoll_break();
    }
  }
}
bool timers_pending() { return next_when.load(std::memory_order_relaxed) != 0; }

static void push_locked(Timer* t) {
  if (t->when_ns <= 0) t->when_ns = 1;  // 0 means "no timer" in next_when
  heap.push_back(t);
  set_pos(heap.size() - 1);
  sift_up(heap.size() - 1);
  t->state_ = kArmed;
}

void timer_add(Timer* t) {
  bool top;
  int64_t when;
  {
    std::lock_guard<std::mutex> l(mu);
    if (t->heap_pos_) fatal("timer_add: timer already armed");
    push_locked(t);
    top = heap[0] == t;
    when = t->when_ns;  // t may fire and be freed as soon as the lock drops
    update_next_locked();
  }
  if (top) wake_poller(when);
}

bool timer_del(Timer* t) {
  {
    std::lock_guard<std::mutex> l(mu);
    if (t->heap_pos_) {
      remove_at(t->heap_pos_ - 1);
      t->state_ = kIdle;
      update_next_locked();
      return true;
    }
    if (t->state_ == kFiring) t->state_ = kDeletedWhileFiring;  // a ticker must not re-arm
  }
  // Wait for a fire() of t running on another thread (never ours: fire must not del itself).
  uint32_t n = sched.mcount.load();
  for (uint32_t i = 0; i <= kMaxM; i = (i + 1 == n) ? kMaxM : i + 1) {
    while (fire_slots[i].load(std::memory_order_acquire) == t) sched_yield();
    if (i == kMaxM) break;
  }
  return false;
}

void run_timers(int64_t now) {
  if (my_slot < 0) fatal("run_timers: not on a scheduler thread");
  // A fire may take any wait-queue lock (a channel send): never while a parking G on this M still
  // holds one (see next_fast), or the fire spins on its own thread's lock.
  if (M* m = getm(); m && m->unlock) fatal("run_timers: a parking goroutine on this thread still holds its wait lock");
  std::atomic<Timer*>& slot = fire_slots[my_slot];
  for (;;) {
    Timer* t;
    {
      std::lock_guard<std::mutex> l(mu);
      if (heap.empty() || heap[0]->when_ns > now) {
        update_next_locked();
        return;
      }
      t = heap[0];
      remove_at(0);
      t->state_ = kFiring;
      slot.store(t, std::memory_order_relaxed);
      update_next_locked();
    }
    bool periodic = t->period_ns > 0;
    t->fire(t);
    int64_t rearmed_top = 0;
    if (periodic) {
      std::lock_guard<std::mutex> l(mu);
      if (t->state_ == kFiring) {
        t->when_ns += t->period_ns;
        if (t->when_ns <= now) t->when_ns = now + t->period_ns;  // fell behind: do not fire in a burst
        push_locked(t);
        if (heap[0] == t) rearmed_top = t->when_ns;
        update_next_locked();
      } else {
        t->state_ = kIdle;
      }
    }
    slot.store(nullptr, std::memory_order_release);  // pairs with timer_del's acquire wait
    // A re-armed ticker is a new deadline, as a timer_add: a poller that went to sleep while it
    // was off the heap (firing) sleeps without it, and with every other M idle and sysmon
    // deferring to the poller, nobody else would fire it (issue 9's fast ticker with 2 Ps).
    if (rearmed_top) wake_poller(rearmed_top);
  }
}

}  // namespace goro::detail

namespace goro {

void sleep_for(std::chrono::nanoseconds d) {
  using namespace detail;
  G* g = current_g();
  if (!g) {
    std::this_thread::sleep_for(d);
    return;
  }
  if (d.count() <= 0) {
    yield();
    return;
  }
  Timer t{};
  t.when_ns = nanotime() + d.count();
  t.fire = [](Timer* tm) { ready(static_cast<G*>(tm->arg)); };
  t.arg = g;
  // Arm only once parked (in park's unlock step): a fire before the switch would ready a G
  // that is still running.
  park(GORO_WAIT_SLEEP, [](void* tm) { timer_add(static_cast<Timer*>(tm)); }, &t);
}

}  // namespace goro
