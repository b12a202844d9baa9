// collect_pass_test.cpp: one collector pass at a time over scripted snapshots and events: the
// rates, the per-process sums, run-queue delay, dying rows, notes and events are exactly what the
// script implies.
#include <catch2/catch.hpp>

#include "collector_fakes.h"
#include "view/collect_events.h"
#include "view/collect_pass.h"
#include "view/collect_rates.h"

using namespace ts;
using namespace ts::test;
using view::CollectPass;
using view::Frame;

namespace {

constexpr uint64_t kMs = 1'000'000;

// two_passes() is a script: process 100 (leader 100, threads 101 and 102, 102 ends before the
// second pass and 104 is new) and process 200 (ends whole), one second apart, then the second
// snapshot again, one second later each time, with nothing moving.
Snapshot two_passes(int n, const Request&) {
  if (n == 0)
    return make_snapshot(10, {make_process(100, {make_task(100, 100, 0, 0, 0, 0), make_task(100, 101, 100 * kMs, 10, 1, 5 * kMs),
                                                 make_task(100, 102, 0, 0, 0, 0)}),
                              make_process(200, {make_task(200, 200), make_task(200, 201)})});
  return make_snapshot(10 + n, {make_process(100, {make_task(100, 100, 500 * kMs, 4, 0, 200 * kMs),
                                                   make_task(100, 101, 350 * kMs, 30, 3, 105 * kMs),
                                                   make_task(100, 104, 900 * kMs, 50, 50, 900 * kMs)})});
}

std::unique_ptr<CollectPass> make_pass(FakeSource::Script script, view::PassSetup setup = {},
                                       std::unique_ptr<bpf::EventTracer> tracer = nullptr) {
  return std::make_unique<CollectPass>(std::make_unique<FakeSource>("bpf", std::move(script)), std::move(tracer),
                                       std::move(setup));
}

}  // namespace

TEST_CASE("The first frame has tasks but no rates, and says so with interval_s 0", "[collector]") {
  auto pass = make_pass(two_passes);
  const auto f = pass->run(static_cast<Fields>(Field::Times));
  CHECK(f->seq == 1);
  CHECK(f->interval_s == 0);
  CHECK(f->taken_ns == f->snap.taken_ns);
  CHECK(f->snap.task_count() == 5);
  CHECK(f->rates.empty());
  CHECK(f->run_delay_ms_ps.empty());
  CHECK(f->dying.empty());
  REQUIRE(f->process_rates.count(100) == 1);
  CHECK(f->process_rates.at(100).cpu_pct == 0);
  CHECK(f->machine.taken_ns > 0);  // the real machine counters
  CHECK_FALSE(f->events_on);
}

TEST_CASE("Rates per task and per process (the sum over live threads) follow the counters", "[collector]") {
  auto pass = make_pass(two_passes);
  pass->run(kAllFields);
  const auto f = pass->run(kAllFields);
  CHECK(f->seq == 2);
  CHECK(f->interval_s == Approx(1.0));
  REQUIRE(f->rates.count(100) == 1);
  REQUIRE(f->rates.count(101) == 1);
  CHECK(f->rates.at(100).cpu_pct == Approx(50.0));
  CHECK(f->rates.at(101).cpu_pct == Approx(25.0));
  CHECK(f->rates.at(101).nvcsw_ps == Approx(20.0));
  CHECK(f->rates.at(101).nivcsw_ps == Approx(2.0));
  CHECK(f->rates.count(104) == 0);  // new: no rate yet, and it adds nothing to its process
  REQUIRE(f->run_delay_ms_ps.count(100) == 1);
  CHECK(f->run_delay_ms_ps.at(100) == Approx(200.0));  // 200 ms of waiting in one second
  CHECK(f->run_delay_ms_ps.at(101) == Approx(100.0));
  CHECK(f->run_delay_ms_ps.count(104) == 0);
  const view::ProcessRate& p = f->process_rates.at(100);
  CHECK(p.cpu_pct == Approx(75.0));
  CHECK(p.nvcsw_ps == Approx(24.0));
  CHECK(p.nivcsw_ps == Approx(2.0));
  CHECK(p.run_delay_ms_ps == Approx(300.0));
  CHECK(f->machine_rates.seconds > 0);  // two machine samples: their rates
}

TEST_CASE("With rates off (the recorder's passes) frames carry what was read and no rates", "[collector]") {
  view::PassSetup setup;
  setup.rates = false;
  auto pass = make_pass(two_passes, setup);
  pass->run(kAllFields);
  const auto f = pass->run(kAllFields);
  CHECK(f->seq == 2);
  CHECK(f->snap.task_count() == 3);
  CHECK(f->machine.taken_ns > 0);
  CHECK(f->interval_s == 0);
  CHECK(f->rates.empty());
  CHECK(f->run_delay_ms_ps.empty());
  CHECK(f->process_rates.empty());
  CHECK(f->dying.empty());
  CHECK(f->machine_rates.seconds == 0);
}

TEST_CASE("Run-queue delay needs Field::Delay in both snapshots", "[collector]") {
  auto pass = make_pass([](int n, const Request& r) {
    Snapshot s = two_passes(n, r);
    s.fields = r.fields;  // as a source: only what was asked
    return s;
  });
  pass->run(static_cast<Fields>(Field::Times));
  const auto f = pass->run(Field::Times | Field::Delay);
  CHECK_FALSE(f->rates.empty());
  CHECK(f->run_delay_ms_ps.empty());  // the first had no delay: nothing to compare with
  const auto g = pass->run(Field::Times | Field::Delay);
  CHECK(g->run_delay_ms_ps.count(101) == 1);
}

TEST_CASE("Dying rows: tasks of the last pass gone now, grouped by process, for one refresh", "[collector]") {
  auto pass = make_pass(two_passes);
  pass->run(kAllFields);
  const auto f = pass->run(kAllFields);
  REQUIRE(f->dying.size() == 2);
  const Process& half = f->dying[0];  // 100 lives on; only 102 ended
  CHECK(half.pid == 100);
  REQUIRE(half.tasks.size() == 1);
  CHECK(half.tasks[0].tid == 102);
  CHECK(half.cmdline == "/bin/p100 --flag");
  const Process& whole = f->dying[1];  // 200 ended whole
  CHECK(whole.pid == 200);
  REQUIRE(whole.tasks.size() == 2);
  CHECK(whole.tasks[0].tid == 200);
  CHECK(whole.tasks[1].tid == 201);
  CHECK(pass->run(kAllFields)->dying.empty());  // shown one refresh only
}

TEST_CASE("A reused tid is a new task: no rate across it, and the old one is dying", "[collector]") {
  auto pass = make_pass([](int n, const Request&) {
    // tid 301 starts again (a later start time) in the second pass
    return make_snapshot(n, {make_process(300, {make_task(300, 300), make_task(300, 301, 5 * kMs, 0, 0, 0, n ? 9000 : 1000)})});
  });
  pass->run(kAllFields);
  const auto f = pass->run(kAllFields);
  CHECK(f->rates.count(300) == 1);
  CHECK(f->rates.count(301) == 0);
  REQUIRE(f->dying.size() == 1);
  REQUIRE(f->dying[0].tasks.size() == 1);
  CHECK(f->dying[0].tasks[0].start_ns == 1301);
}

TEST_CASE("A source that fails gives a frame with a note; the next computes rates from the last good", "[collector]") {
  auto pass = make_pass([](int n, const Request& r) {
    if (n == 1) throw Error("the BPF program died");
    return two_passes(n == 0 ? 0 : 1, r);
  });
  pass->run(kAllFields);
  const auto bad = pass->run(kAllFields);
  CHECK(bad->snap.processes.empty());
  CHECK(bad->dying.empty());  // not "everything died"
  REQUIRE_FALSE(bad->notes.empty());
  CHECK(bad->notes.back() == "cannot read the tasks: the BPF program died");
  const auto good = pass->run(kAllFields);
  CHECK(good->seq == 3);
  CHECK(good->interval_s == Approx(1.0));  // from the first pass: the failed one has no snapshot
  CHECK(good->rates.at(101).cpu_pct == Approx(25.0));
}

TEST_CASE("Notes: the setup's, the source's, and what a /proc source cannot give", "[collector]") {
  view::PassSetup setup;
  setup.notes = {"BPF source unavailable (why); using /proc"};
  auto pass = std::make_unique<CollectPass>(std::make_unique<FakeSource>("proc", [](int, const Request& r) {
                                              Snapshot s = make_snapshot(1, {make_process(1, {make_task(1, 1)})});
                                              s.fields = r.fields & ~static_cast<Fields>(Field::Delay);
                                              s.notes = {"RSS is approximate"};
                                              return s;
                                            }),
                                            nullptr, setup);
  const auto f = pass->run(Field::Times | Field::Delay);
  REQUIRE(f->notes.size() == 3);
  CHECK(f->notes[0] == setup.notes[0]);
  CHECK(f->notes[1] == "RSS is approximate");
  CHECK(f->notes[2].find("no run-queue delay") == 0);
  CHECK(pass->run(static_cast<Fields>(Field::Times))->notes.size() == 2);  // not asked: nothing to say
}

TEST_CASE("Events since the last pass, clones counted per second by verdict, lost counted", "[collector]") {
  auto tracer = std::make_unique<FakeTracer>([](int n) {
    std::vector<Event> evs;
    if (n == 1) {  // the second pass's drain: 3 threads and 1 process
      for (int i = 0; i < 3; ++i) evs.push_back(make_clone(100, 500 + i, true));
      evs.push_back(make_clone(100, 600, false));
    }
    return evs;
  });
  auto lost = tracer->lost_counter();
  auto pass = make_pass(two_passes, {}, std::move(tracer));
  const auto first = pass->run(kAllFields);
  CHECK(first->events_on);
  CHECK(first->events.empty());
  *lost = 7;
  const auto f = pass->run(kAllFields);
  REQUIRE(f->events.size() == 4);
  CHECK(std::get<CloneEvent>(f->events[0]).child_tid == 500);
  CHECK(std::get<CloneEvent>(f->events[3]).child_tid == 600);
  CHECK(f->clones_known);  // the tracer ran from before the first pass: a whole interval
  CHECK(f->threads_ps == Approx(3.0));
  CHECK(f->clones_ps == Approx(1.0));
  CHECK(f->events_lost == 7);
  const auto g = pass->run(kAllFields);
  CHECK(g->events.empty());  // each event in one frame only
  CHECK(g->threads_ps == 0);
}

TEST_CASE("While the tracer loads, frames say events_starting, not events_on; set_events() turns it on",
          "[collector]") {
  view::PassSetup setup;
  setup.events_coming = true;
  auto pass = make_pass(two_passes, setup, nullptr);
  const auto first = pass->run(kAllFields);
  CHECK(first->events_starting);
  CHECK_FALSE(first->events_on);  // nothing is traced yet: the header shows forks/s, not clones/s
  pass->set_events(std::make_unique<FakeTracer>([](int) { return std::vector<Event>{make_clone(100, 700, true)}; }), "");
  const auto f = pass->run(kAllFields);
  CHECK(f->events_on);
  CHECK_FALSE(f->events_starting);
  CHECK(f->events.size() == 1);
}

TEST_CASE("Clones/s has no rate until the tracer ran a whole interval (events of a partial one are not averaged over it)",
          "[collector]") {
  // The tracer loads beside the first passes: it starts mid-interval, so the events of the first
  // frame it runs in cover only part of that frame's interval.
  view::PassSetup setup;
  setup.events_coming = true;
  auto pass = make_pass(two_passes, setup, nullptr);
  const auto first = pass->run(kAllFields);
  CHECK_FALSE(first->clones_known);
  pass->set_events(std::make_unique<FakeTracer>([](int n) {
                     std::vector<Event> evs;
                     for (int i = 0; i < 4; ++i) evs.push_back(make_clone(100, 500 + 10 * n + i, true));
                     return evs;  // 4 threads in every drain
                   }),
                   "");
  const auto partial = pass->run(kAllFields);
  REQUIRE(partial->events_on);
  CHECK(partial->events.size() == 4);  // shown in the events pane all the same
  CHECK_FALSE(partial->clones_known);  // but 4 events over part of 1 s are not 4 per second
  CHECK(partial->threads_ps == 0);
  const auto full = pass->run(kAllFields);
  CHECK(full->clones_known);
  CHECK(full->threads_ps == Approx(4.0));
  CHECK(full->clones_ps == 0);
}

TEST_CASE("EventGather keeps the newest events up to its cap and counts the rest as lost", "[collector]") {
  auto tracer = std::make_unique<FakeTracer>([](int) {
    std::vector<Event> evs;
    for (int i = 0; i < 10; ++i) evs.push_back(make_clone(i % 2 ? 7 : 8, 1000 + i, false));
    return evs;
  });
  view::EventGather g(std::move(tracer), {}, 4);
  CHECK(g.gather(kMs) == 10);
  view::EventBatch b = g.take();
  REQUIRE(b.events.size() == 4);
  for (int i = 0; i < 4; ++i) CHECK(std::get<CloneEvent>(b.events[i]).child_tid == 1006 + i);  // newest, in order
  CHECK(b.processes == 10);  // counted, kept or not
  CHECK(b.dropped == 6);
  CHECK(g.lost() == 6);
  CHECK(g.take().events.empty());
}

TEST_CASE("EventGather keeps the events of the processes asked for and of the children they make", "[collector]") {
  auto tracer = std::make_unique<FakeTracer>([](int n) {
    ExitEvent other, child;
    other.pid = other.tid = 9;
    child.pid = child.tid = 71;
    child.group_dead = true;
    ExecEvent late;
    late.pid = late.tid = 71;  // a new process that got pid 71 again: not 7's child
    if (n == 0)
      return std::vector<Event>{make_clone(7, 70, true), make_clone(8, 80, true), make_clone(5, 7, false), Event{other},
                                make_clone(7, 71, false), make_clone(71, 72, true), Event{child}};
    return std::vector<Event>{Event{late}};
  });
  view::EventGather g(std::move(tracer), {7});
  g.gather(kMs);
  const view::EventBatch b = g.take();
  REQUIRE(b.events.size() == 5);
  CHECK(std::get<CloneEvent>(b.events[0]).child_tid == 70);  // 7's thread
  CHECK(std::get<CloneEvent>(b.events[1]).child_pid == 7);   // 7 being born
  CHECK(std::get<CloneEvent>(b.events[2]).child_pid == 71);  // 7's child...
  CHECK(std::get<CloneEvent>(b.events[3]).child_tid == 72);  // ...its thread...
  CHECK(std::get<ExitEvent>(b.events[4]).pid == 71);         // ...and its end
  CHECK(b.threads == 2);
  CHECK(b.processes == 2);
  g.gather(kMs);
  CHECK(g.take().events.empty());  // 71 ended: no longer followed
}

TEST_CASE("keep_newest appends and keeps the newest within the cap", "[collector]") {
  std::vector<Event> a{make_clone(1, 1, true), make_clone(1, 2, true), make_clone(1, 3, true)};
  CHECK(view::keep_newest(a, {make_clone(1, 4, true)}, 5) == 0);
  CHECK(a.size() == 4);
  CHECK(view::keep_newest(a, {make_clone(1, 5, true), make_clone(1, 6, true)}, 5) == 1);
  REQUIRE(a.size() == 5);
  CHECK(std::get<CloneEvent>(a.front()).child_tid == 2);
  CHECK(std::get<CloneEvent>(a.back()).child_tid == 6);
  std::vector<Event> many;
  for (int i = 0; i < 8; ++i) many.push_back(make_clone(1, 10 + i, true));
  CHECK(view::keep_newest(a, std::move(many), 5) == 8);  // all of a and 3 of the new ones dropped
  REQUIRE(a.size() == 5);
  CHECK(std::get<CloneEvent>(a.front()).child_tid == 13);
}

TEST_CASE("A pass keeps no frame but the last: memory does not grow with refreshes", "[collector]") {
  auto pass = make_pass(two_passes);
  const std::shared_ptr<const Frame> first = pass->run(kAllFields);
  for (int i = 0; i < 50; ++i) pass->run(kAllFields);
  CHECK(first.use_count() == 1);  // only this test holds it
}
