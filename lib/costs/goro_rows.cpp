// goro_rows.cpp: what a goro goroutine costs. Each figure runs ::goro::run in a forked probe, so
// the runtime's threads never live in the bench process itself.
#include "costs/goro_rows.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "costs/probe.h"
#include "costs/watch.h"
#include "goro/chan.h"
#include "goro/reader.h"
#include "goro/runtime.h"
#include "goro/wait_group.h"

namespace ts::costs {

namespace {

pid_t gettid_now() { return pid_t(syscall(SYS_gettid)); }

// run_goro() runs fn as the main G of a runtime with `procs` Ps.
void run_goro(size_t procs, const std::function<void()>& fn) {
  setenv("GORO_MAXPROCS", std::to_string(std::max<size_t>(procs, 1)).c_str(), 1);
  ::goro::run(fn);
}

// spawn_exit() spawns `n` Gs that exit at once, at most 1000 in flight.
void spawn_exit(int n) {
  for (int done = 0; done < n; done += 1000) {
    const int k = std::min(1000, n - done);
    ::goro::wait_group wg;
    wg.add(k);
    for (int i = 0; i < k; ++i) ::goro::go([&wg] { wg.done(); });
    wg.wait();
  }
}

// yields() is two Gs yielding to each other `each` times: one switch per yield.
void yields(int each, bool& same_thread, pid_t tid) {
  ::goro::wait_group wg;
  wg.add(2);
  for (int g = 0; g < 2; ++g)
    ::goro::go([&] {
      for (int i = 0; i < each; ++i) ::goro::yield();
      same_thread = same_thread && gettid_now() == tid;
      wg.done();
    });
  wg.wait();
}

// chan_trips() is `n` round trips over two unbuffered channels: two switches per trip.
void chan_trips(int n) {
  ::goro::chan<int> ping, pong;
  ::goro::wait_group wg;
  wg.add(1);
  ::goro::go([&] {
    for (int i = 0; i < n; ++i) pong.send(*ping.recv());
    wg.done();
  });
  for (int i = 0; i < n; ++i) {
    ping.send(i);
    pong.recv();
  }
  wg.wait();
}

int switch_probe(ProbeIo& io, const Plan& plan) {
  run_goro(1, [&] {
    const pid_t tid = gettid_now();
    io.report({{"tasks", {{getpid(), tid}}}});
    if (!io.wait_go()) return;
    bool same = true;
    const auto y = timed_rounds(plan.rounds, 2 * plan.yields, [&] { yields(plan.yields, same, tid); });
    const auto c = timed_rounds(plan.rounds, plan.chan_trips, [&] { chan_trips(plan.chan_trips); });
    same = same && gettid_now() == tid;
    const long switches = long(plan.rounds + 1) * (2L * plan.yields + 2L * plan.chan_trips);
    io.report({{"yield_ns", y}, {"roundtrip_ns", c}, {"switches", switches}, {"same_thread", same}});
    io.wait_go();  // the one protocol wait in the window
  });
  return 0;
}

int parked_gs(ProbeIo& io, int n) {
  run_goro(1, [&] {
    io.report(nlohmann::json::object());
    if (!io.wait_go()) return;
    ::goro::chan<int> never;
    ::goro::wait_group wg;
    wg.add(n);
    for (int i = 0; i < n; ++i)
      ::goro::go([&] {
        wg.done();
        never.recv();
      });
    wg.wait();  // the last G readies us as it parks: every G is parked now
    io.report({{"units", n}});
    io.wait_go();
  });
  return 0;
}

}  // namespace

CostRow measure_goro_row(const Plan& plan, Observer& obs) {
  CostRow row = make_row("goro", "goro", "goro G", "small", "very small", "goro::go+run+exit");
  Probe create = Probe::fork_fn(plan.create_cpus, [&](ProbeIo& io) {
    std::vector<double> ns;
    run_goro(plan.create_cpus.size(), [&] { ns = timed_rounds(plan.rounds, plan.g_batch, [&] { spawn_exit(plan.g_batch); }); });
    io.report({{"create_ns", ns}});
    return 0;
  });
  row.create_ns = spread_of(create.next("::goro::go", 300000).at("create_ns").get<std::vector<double>>());
  create.finish();

  row.switch_how = "yield";
  row.roundtrip_how = "unbuffered chan";
  Probe sw = Probe::fork_fn({plan.switch_cpu}, [&](ProbeIo& io) { return switch_probe(io, plan); });
  const Watched w = watch_switches(sw, obs, "goro switches", 1);
  row.switch_ns = spread_of(w.result.at("yield_ns").get<std::vector<double>>());
  row.roundtrip_ns = spread_of(w.result.at("roundtrip_ns").get<std::vector<double>>());
  row.switches = w.result.at("switches").get<uint64_t>();
  row.kernel_watched = w.result.at("same_thread").get<bool>();
  row.nvcsw = w.delta.nvcsw;
  row.nivcsw = w.delta.nivcsw;

  row.memory_how = "Gs parked on a channel";
  Probe idle = Probe::fork_fn({}, [&](ProbeIo& io) { return parked_gs(io, plan.park_gs); });
  const pid_t pid = idle.pid();
  const IdleMemory m = watch_idle_memory(idle, obs, "parked Gs", [&] { row.reserved_bytes = ts::goro::read_goro(pid).stack_size; });
  row.rss_bytes = m.per_unit;
  row.rss_units = m.units;
  row.reserved_how = "goro stack size";
  return row;
}

}  // namespace ts::costs
