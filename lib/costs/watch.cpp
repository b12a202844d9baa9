// watch.cpp: reading a probe's switch counts and RSS around what it does.
#include "costs/watch.h"

#include <utility>
#include <vector>

#include "model/error.h"

namespace ts::costs {

namespace {

using Tasks = std::vector<std::pair<pid_t, pid_t>>;

Switches sum(Observer& obs, const Tasks& tasks) {
  Switches s;
  for (const auto& [pid, tid] : tasks) {
    const Switches t = obs.switches(pid, {tid});
    s.nvcsw += t.nvcsw;
    s.nivcsw += t.nivcsw;
  }
  return s;
}

void all_asleep(Observer& obs, const Tasks& tasks) {
  for (const auto& [pid, tid] : tasks) obs.wait_asleep(pid, {tid});
}

}  // namespace

Spread measure_create(const std::vector<int>& cpus, int rounds, int units, const std::string& what,
                      const std::function<void()>& body) {
  Probe p = Probe::fork_fn(cpus, [&](ProbeIo& io) {
    io.report({{"create_ns", timed_rounds(rounds, units, body)}});
    return 0;
  });
  const Spread s = spread_of(p.next(what, 300000).at("create_ns").get<std::vector<double>>());
  p.finish();
  return s;
}

Watched watch_switches(Probe& p, Observer& obs, const std::string& what, uint64_t handshake) {
  const nlohmann::json hello = p.next(what);
  Tasks tasks;
  for (const auto& t : hello.at("tasks")) tasks.emplace_back(t.at(0).get<pid_t>(), t.at(1).get<pid_t>());
  if (tasks.empty()) throw Error("bench: " + what + ": no tasks to watch");
  all_asleep(obs, tasks);
  const Switches before = sum(obs, tasks);
  p.go();
  Watched w;
  w.result = p.next(what, 300000);
  all_asleep(obs, tasks);
  const Switches after = sum(obs, tasks);
  const uint64_t nv = after.nvcsw - before.nvcsw;
  w.delta.nvcsw = nv > handshake ? nv - handshake : 0;
  w.delta.nivcsw = after.nivcsw - before.nivcsw;
  p.finish();
  return w;
}

void fill_pingpong(CostRow& row, const Watched& w) {
  std::vector<double> rt = w.result.at("roundtrip_ns").get<std::vector<double>>();
  row.roundtrip_ns = spread_of(rt);
  for (double& v : rt) v /= 2;
  row.switch_ns = spread_of(rt);
  row.switches = w.result.at("switches").get<uint64_t>();
  row.kernel_watched = true;
  row.nvcsw = w.delta.nvcsw;
  row.nivcsw = w.delta.nivcsw;
}

IdleMemory watch_idle_memory(Probe& p, Observer& obs, const std::string& what,
                             const std::function<void()>& at_rest) {
  p.next(what);
  obs.wait_asleep(p.pid());
  const uint64_t base = obs.rss(p.pid());
  p.go();
  IdleMemory m;
  m.result = p.next(what, 120000);
  obs.wait_asleep(p.pid());
  const uint64_t idle = obs.rss(p.pid());
  if (at_rest) at_rest();
  m.units = m.result.at("units").get<uint32_t>();
  m.per_unit = idle > base && m.units ? (idle - base) / m.units : 0;
  p.finish();
  return m;
}

}  // namespace ts::costs
