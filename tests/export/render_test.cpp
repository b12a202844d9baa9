// render_test.cpp: render_metrics() of a scripted Frame: the exact series, kernel threads left out,
// events folded into counters that never go down, --threads=top:N's choice and bound.
#include <sched.h>

#include <catch2/catch.hpp>

#include "../support/support.h"
#include "../view/frames.h"
#include "export/render.h"

using namespace ts;
using namespace ts::exporter;

namespace {

// samples() is the page without its metadata lines (# HELP/TYPE/UNIT/EOF).
std::string samples(const std::string& page) {
  std::string out;
  for (const std::string& l : test::lines(page))
    if (!l.starts_with("#")) out += l + "\n";
  return out;
}

CloneEvent clone_of(uint64_t flags) {
  CloneEvent c;
  c.flags = flags;
  return c;
}

view::Frame scripted() {
  Task a = test::task(100, 100, "srv"), b = test::task(101, 100, "srv-io");
  a.nvcsw = 10, a.nivcsw = 3, a.run_delay_ns = 2'000'000'000;
  b.nvcsw = 5, b.nivcsw = 1, b.run_delay_ns = 500'000'000;
  b.utime_ns = 700'000'000;
  Process srv = test::proc(100, 1, "srv", {a, b});
  srv.utime_ns = 1'500'000'000, srv.stime_ns = 250'000'000;
  Process kt = test::proc(2, 0, "kthreadd");
  kt.kthread = true;
  test::FrameBuilder fb(2);
  fb.add(srv).add(test::proc(200, 100, "sh")).add(kt).rate(100, 101, 40).rate(100, 100, 5).rate(200, 200, 10);
  view::Frame f = fb.f;
  f.runtimes[100] = "goro";
  GoroSnapshot g;
  g.pid = 100;
  g.runtime = "goro";
  g.global_runq_len = 1;
  for (GState s : {GState::Running, GState::Runnable, GState::Runnable, GState::Waiting, GState::Dead}) {
    GoroG gg;
    gg.goid = g.gs.size() + 1;
    gg.state = s;
    g.gs.push_back(gg);
  }
  GoroP p0, p1;
  p0.id = 0, p0.status = PStatus::Running, p0.runq_len = 2;
  p1.id = 1;
  g.ps = {p0, p1};
  f.goro[100] = g;
  f.goro[300] = g;  // a runtime whose process is not in the snapshot: no comm, left out
  ExitEvent x;
  x.group_dead = true;
  f.events = {clone_of(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD), clone_of(0),
              clone_of(CLONE_VM | CLONE_VFORK), clone_of(CLONE_NEWNET), ExecEvent{}, x, ExitEvent{}};
  f.events_on = true;
  f.events_lost = 4;
  f.collect_ns = 2'500'000;
  return f;
}

const char* const kSamples =
    "taskscope_processes 2\n"
    "taskscope_process_cpu_seconds_total{pid=\"100\",comm=\"srv\",runtime=\"goro\",mode=\"user\"} 1.5\n"
    "taskscope_process_cpu_seconds_total{pid=\"100\",comm=\"srv\",runtime=\"goro\",mode=\"system\"} 0.25\n"
    "taskscope_process_cpu_seconds_total{pid=\"200\",comm=\"sh\",mode=\"user\"} 0\n"
    "taskscope_process_cpu_seconds_total{pid=\"200\",comm=\"sh\",mode=\"system\"} 0\n"
    "taskscope_process_resident_memory_bytes{pid=\"100\",comm=\"srv\",runtime=\"goro\"} 409600\n"
    "taskscope_process_resident_memory_bytes{pid=\"200\",comm=\"sh\"} 819200\n"
    "taskscope_process_threads{pid=\"100\",comm=\"srv\",runtime=\"goro\"} 2\n"
    "taskscope_process_threads{pid=\"200\",comm=\"sh\"} 1\n"
    "taskscope_process_context_switches_total{pid=\"100\",comm=\"srv\",runtime=\"goro\",kind=\"voluntary\"} 15\n"
    "taskscope_process_context_switches_total{pid=\"100\",comm=\"srv\",runtime=\"goro\",kind=\"involuntary\"} 4\n"
    "taskscope_process_context_switches_total{pid=\"200\",comm=\"sh\",kind=\"voluntary\"} 0\n"
    "taskscope_process_context_switches_total{pid=\"200\",comm=\"sh\",kind=\"involuntary\"} 0\n"
    "taskscope_process_run_queue_delay_seconds_total{pid=\"100\",comm=\"srv\",runtime=\"goro\"} 2.5\n"
    "taskscope_process_run_queue_delay_seconds_total{pid=\"200\",comm=\"sh\"} 0\n"
    "taskscope_clones_total{verdict=\"kernel_thread\"} 0\n"
    "taskscope_clones_total{verdict=\"namespaces\"} 1\n"
    "taskscope_clones_total{verdict=\"process\"} 1\n"
    "taskscope_clones_total{verdict=\"shared_memory\"} 0\n"
    "taskscope_clones_total{verdict=\"thread\"} 1\n"
    "taskscope_clones_total{verdict=\"vfork\"} 1\n"
    "taskscope_execs_total 1\n"
    "taskscope_exits_total{scope=\"task\"} 2\n"
    "taskscope_exits_total{scope=\"process\"} 1\n"
    "taskscope_events_lost_total 4\n"
    "taskscope_events_enabled 1\n"
    "taskscope_goroutines{pid=\"100\",comm=\"srv\",runtime=\"goro\",state=\"idle\"} 0\n"
    "taskscope_goroutines{pid=\"100\",comm=\"srv\",runtime=\"goro\",state=\"runnable\"} 2\n"
    "taskscope_goroutines{pid=\"100\",comm=\"srv\",runtime=\"goro\",state=\"running\"} 1\n"
    "taskscope_goroutines{pid=\"100\",comm=\"srv\",runtime=\"goro\",state=\"syscall\"} 0\n"
    "taskscope_goroutines{pid=\"100\",comm=\"srv\",runtime=\"goro\",state=\"waiting\"} 1\n"
    "taskscope_gmp_run_queue_length{pid=\"100\",comm=\"srv\",runtime=\"goro\",p=\"0\"} 2\n"
    "taskscope_gmp_run_queue_length{pid=\"100\",comm=\"srv\",runtime=\"goro\",p=\"1\"} 0\n"
    "taskscope_gmp_run_queue_length{pid=\"100\",comm=\"srv\",runtime=\"goro\",p=\"global\"} 1\n"
    "taskscope_collect_seconds 0.0025\n";

}  // namespace

TEST_CASE("render_metrics: the exact series of a scripted frame", "[export]") {
  const view::Frame f = scripted();
  EventTotals t;
  t.fold(f);
  const std::string om = render_metrics(f, t, {}, Format::OpenMetrics);
  CHECK(samples(om) == kSamples);
  // taskscope-export(1)'s cardinality: 7 per process + 13 + per goro/Go process (6 + its Ps).
  CHECK(test::lines(samples(om)).size() == 7 * 2 + 13 + (6 + 2));
  CHECK(om.ends_with("taskscope_collect_seconds 0.0025\n# EOF\n"));
  CHECK(om.find("# TYPE taskscope_process_context_switches counter\n") != std::string::npos);
  CHECK(om.find("# UNIT taskscope_process_cpu_seconds seconds\n") != std::string::npos);
  CHECK(om.find("kthreadd") == std::string::npos);
  const std::string text = render_metrics(f, t, {}, Format::Text004);
  CHECK(samples(text) == kSamples);
  CHECK(text.find("# TYPE taskscope_process_context_switches_total counter\n") != std::string::npos);
  CHECK(text.find("# EOF") == std::string::npos);
  CHECK(text.find("# UNIT") == std::string::npos);
  CHECK(text.find("\n\n") == std::string::npos);  // OpenMetrics forbids blank lines; so do we in both
}

TEST_CASE("event counters add each frame's events and never go down", "[export]") {
  view::Frame f = scripted();
  EventTotals t;
  t.fold(f);
  f.events = {ExecEvent{}, ExecEvent{}};
  t.fold(f);
  const std::string page = render_metrics(f, t, {}, Format::OpenMetrics);
  CHECK(page.find("taskscope_execs_total 3\n") != std::string::npos);
  CHECK(page.find("taskscope_clones_total{verdict=\"thread\"} 1\n") != std::string::npos);
  f.events.clear();
  t.fold(f);
  CHECK(render_metrics(f, t, {}, Format::OpenMetrics).find("taskscope_execs_total 3\n") != std::string::npos);
}

TEST_CASE("--threads=top:N: the N busiest threads of the interval, none without it", "[export]") {
  const view::Frame f = scripted();
  EventTotals t;
  CHECK(render_metrics(f, t, {}, Format::OpenMetrics).find("taskscope_thread_") == std::string::npos);
  const std::string page = samples(render_metrics(f, t, {2}, Format::OpenMetrics));
  // tid 101 (40%) and 200 (10%); tid 100 (5%) is third. In tid order.
  CHECK(page.find("taskscope_thread_cpu_seconds_total{pid=\"100\",tid=\"101\",comm=\"srv-io\",mode=\"user\"} 0.7\n"
                  "taskscope_thread_cpu_seconds_total{pid=\"100\",tid=\"101\",comm=\"srv-io\",mode=\"system\"} 0\n"
                  "taskscope_thread_cpu_seconds_total{pid=\"200\",tid=\"200\",comm=\"sh\",mode=\"user\"} 0\n"
                  "taskscope_thread_cpu_seconds_total{pid=\"200\",tid=\"200\",comm=\"sh\",mode=\"system\"} 0\n"
                  "taskscope_thread_context_switches_total{pid=\"100\",tid=\"101\",comm=\"srv-io\",kind=\"voluntary\"} 5\n") !=
        std::string::npos);
  CHECK(page.find("tid=\"100\"") == std::string::npos);
  // More than there are: every thread of user space once (3), never a kernel thread's.
  const std::string all = samples(render_metrics(f, t, {50}, Format::OpenMetrics));
  size_t n = 0;
  for (const std::string& l : test::lines(all)) n += l.starts_with("taskscope_thread_cpu_seconds_total{") ? 1 : 0;
  CHECK(n == 6);
}

TEST_CASE("hostile process and thread names stay inside their label", "[export]") {
  test::FrameBuilder fb(2);
  fb.add(test::proc(42, 1, "a\"b\\c\nd\x1b[31m\xff"));
  EventTotals t;
  const std::string page = render_metrics(fb.f, t, {1}, Format::OpenMetrics);
  const std::string want = "comm=\"a\\\"b\\\\\\\\c\\\\x0ad\\\\x1b[31m\\\\xff\"";
  CHECK(page.find("taskscope_process_threads{pid=\"42\"," + want + "} 1\n") != std::string::npos);
  CHECK(page.find("taskscope_thread_cpu_seconds_total{pid=\"42\",tid=\"42\"," + want + ",mode=\"user\"} 0\n") != std::string::npos);
  CHECK(test::raw_control(page) == -1);
  for (const std::string& l : test::lines(page)) {  // every line is a comment or one whole sample
    INFO(l);
    CHECK((l.starts_with("# ") || l.starts_with("taskscope_")));
  }
}
