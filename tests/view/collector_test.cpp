// collector_test.cpp: the Collector's thread over a scripted source: frames come through fd() and
// take(), a skipped frame's events and dying rows reach the next one, refresh/pause/fields act.
// Nothing here asserts how fast: the tests wait (with a generous bound) for what must happen.
#include <poll.h>

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "collector_fakes.h"
#include "view/collector.h"

using namespace ts;
using namespace ts::test;
using view::Collector;
using view::CollectorConfig;
using view::Frame;

namespace {

constexpr auto kHour = std::chrono::hours(1);

// readable() waits up to `ms` for fd to poll readable.
bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

// wait_calls() waits (up to 20 s) until the source has made `n` snapshots.
bool wait_calls(const FakeSource::Seen& seen, int n) {
  for (int i = 0; i < 2000 && seen.calls.load() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return seen.calls.load() >= n;
}

// steady() is a script of one process whose thread n+1000 is born at pass n and ends at pass n+1:
// each pass has one task dying; taken one second apart.
Snapshot steady(int n, const Request&) {
  return make_snapshot(n, {make_process(50, {make_task(50, 50, static_cast<uint64_t>(n) * 100'000'000), make_task(50, 1000 + n)})});
}

// one_clone_per_drain() makes the n-th drain return a clone whose child is tid n+1.
std::unique_ptr<FakeTracer> one_clone_per_drain() {
  return std::make_unique<FakeTracer>([](int n) { return std::vector<Event>{make_clone(50, n + 1, true)}; });
}

CollectorConfig config(std::chrono::milliseconds delay) {
  CollectorConfig c;
  c.delay = delay;
  c.goro = false;
  c.fields = static_cast<Fields>(Field::Times);
  return c;
}

}  // namespace

TEST_CASE("Collector publishes its first pass at once, then one per refresh", "[collector]") {
  auto src = std::make_unique<FakeSource>("bpf", steady);
  auto seen = src->seen();
  Collector c(config(kHour), std::move(src), nullptr);
  CHECK(c.source_name() == "bpf");
  CHECK(c.take() == nullptr);
  CHECK_FALSE(readable(c.fd(), 0));
  c.start();
  REQUIRE(readable(c.fd(), 20000));  // the first pass does not wait for the delay (an hour)
  const auto f1 = c.take();
  REQUIRE(f1);
  CHECK(f1->seq == 1);
  CHECK(f1->interval_s == 0);
  CHECK_FALSE(readable(c.fd(), 0));  // taken: nothing waits
  CHECK(c.take() == nullptr);
  c.refresh();
  REQUIRE(readable(c.fd(), 20000));
  const auto f2 = c.take();
  REQUIRE(f2);
  CHECK(f2->seq == 2);
  CHECK(f2->interval_s == Approx(1.0));
  CHECK(f2->rates.at(50).cpu_pct == Approx(10.0));
  CHECK(seen->fields.load() == (Field::Ids | Field::Times));
}

TEST_CASE("Frames the UI did not take are skipped, their events and dying rows carried over", "[collector]") {
  auto src = std::make_unique<FakeSource>("bpf", steady);
  auto seen = src->seen();
  Collector c(config(kHour), std::move(src), one_clone_per_drain());
  c.start();
  // Four passes, none taken; the fifth snapshot shows the fourth pass was published.
  for (int n = 2; n <= 5; ++n) {
    REQUIRE(wait_calls(*seen, n - 1));
    c.refresh();
  }
  REQUIRE(wait_calls(*seen, 5));
  const auto f = c.take();
  REQUIRE(f);
  REQUIRE(f->seq >= 4);
  // Every pass drained once and saw one clone: the frame holds all of them, in order.
  REQUIRE(f->events.size() == f->seq);
  for (size_t i = 0; i < f->events.size(); ++i) CHECK(std::get<CloneEvent>(f->events[i]).child_tid == int(i + 1));
  // Each pass after the first had one thread dying (1000+n-1): none is lost by skipping, and
  // they are grouped under their one process.
  REQUIRE(f->dying.size() == 1);
  CHECK(f->dying[0].pid == 50);
  REQUIRE(f->dying[0].tasks.size() == f->seq - 1);
  for (size_t i = 0; i < f->dying[0].tasks.size(); ++i) CHECK(f->dying[0].tasks[i].tid == int(1000 + i));
  // The next frame starts where this one ended.
  c.refresh();
  REQUIRE(readable(c.fd(), 20000));
  const auto g = c.take();
  REQUIRE(g);
  REQUIRE_FALSE(g->events.empty());
  CHECK(std::get<CloneEvent>(g->events.front()).child_tid == int(f->seq + 1));
}

TEST_CASE("Paused, the collector publishes nothing; resumed, it publishes at once", "[collector]") {
  auto src = std::make_unique<FakeSource>("bpf", steady);
  auto seen = src->seen();
  Collector c(config(std::chrono::milliseconds(50)), std::move(src), one_clone_per_drain());
  c.start();
  REQUIRE(readable(c.fd(), 20000));
  c.set_paused(true);
  const int at_pause = seen->calls.load();  // at most one pass was under way
  const auto before = c.take();
  REQUIRE(before);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // six delays
  CHECK(seen->calls.load() <= at_pause + 1);
  c.take();  // the pass that may have been under way when pausing
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK_FALSE(readable(c.fd(), 0));
  c.set_paused(false);
  REQUIRE(readable(c.fd(), 20000));
  const auto after = c.take();
  REQUIRE(after);
  CHECK(after->seq > before->seq);
}

TEST_CASE("set_fields changes what later passes ask for", "[collector]") {
  auto src = std::make_unique<FakeSource>("bpf", steady);
  auto seen = src->seen();
  Collector c(config(kHour), std::move(src), nullptr);
  c.start();
  REQUIRE(readable(c.fd(), 20000));
  c.take();
  c.set_fields(Field::Times | Field::Delay | Field::Cmdline);
  c.refresh();
  REQUIRE(readable(c.fd(), 20000));
  c.take();
  CHECK(seen->fields.load() == (Field::Ids | Field::Times | Field::Delay | Field::Cmdline));
}

TEST_CASE("Destroying a collector mid-run, or never started, is clean", "[collector]") {
  {
    Collector idle(config(kHour), std::make_unique<FakeSource>("proc", steady), nullptr);
  }
  auto src = std::make_unique<FakeSource>("bpf", steady);
  auto seen = src->seen();
  {
    Collector c(config(std::chrono::milliseconds(50)), std::move(src), one_clone_per_drain());
    c.start();
    REQUIRE(wait_calls(*seen, 3));
  }
  const int calls = seen->calls.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(seen->calls.load() == calls);  // the thread is gone
}
