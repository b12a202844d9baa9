// replay.cpp: a Frame from two recorded samples.
#include "history/replay.h"

#include <linux/sched.h>

#include <algorithm>
#include <variant>

#include "history/time_spec.h"
#include "model/error.h"
#include "view/collect_rates.h"
#include "view/collect_runtime.h"

namespace ts::history {

std::shared_ptr<view::Frame> make_frame(const Sample& cur, const Sample* prev, std::vector<Event> events, uint64_t seq) {
  auto f = std::make_shared<view::Frame>();
  f->seq = seq;
  f->snap = cur.snap;
  f->taken_ns = cur.snap.taken_ns;
  f->machine = cur.machine;
  f->goro = cur.goro;
  for (const auto& [pid, g] : cur.goro)  // the RT column: the runtimes whose G/M/P were recorded
    f->runtimes.emplace(pid, g.runtime == "goro" ? g.runtime : view::go_short_version(g.runtime));
  f->events = std::move(events);
  f->events_on = cur.events_on;
  f->events_lost = cur.events_lost;
  f->notes = cur.notes;
  if (!cur.threads) f->notes.push_back("recorded without --threads: one row per process, no per-thread rows");
  view::DelayRates delay;
  if (prev && cur.snap.taken_ns > prev->snap.taken_ns) {
    f->interval_s = static_cast<double>(cur.snap.taken_ns - prev->snap.taken_ns) / 1e9;
    f->rates = diff(prev->snap, cur.snap);
    delay = view::run_delay_rates(prev->snap, cur.snap);
    f->dying = view::dying(prev->snap, cur.snap);
    if (prev->machine.taken_ns && cur.machine.taken_ns) f->machine_rates = diff(prev->machine, cur.machine);
    uint64_t procs = 0, threads = 0;
    for (const Event& e : f->events)
      if (const auto* c = std::get_if<CloneEvent>(&e)) ++((c->flags & CLONE_THREAD) ? threads : procs);
    f->clones_ps = static_cast<double>(procs) / f->interval_s;
    f->threads_ps = static_cast<double>(threads) / f->interval_s;
  }
  f->run_delay_ms_ps = delay;
  f->process_rates = view::process_rates(f->snap, f->rates, delay);
  return f;
}

std::shared_ptr<view::Frame> replay_frame(const Reader& r, const SampleRef& ref) {
  // The one before first: the sample itself is then one delta on from it (the Reader's cache), and
  // the next step forward finds this one there.
  std::optional<Sample> prev;
  if (auto b = r.before(ref.id)) prev = r.load(b->id);
  const Sample cur = r.load(ref.id);
  return make_frame(cur, prev ? &*prev : nullptr, r.events(ref.id), static_cast<uint64_t>(ref.id));
}

}  // namespace ts::history

namespace ts::history {

ReplayedSnapshot replay_snapshot(const std::string& path, const std::string& at, const std::vector<int32_t>& pids,
                                 bool want_threads) {
  const Reader r(path);
  const SampleRef first = r.first(), last = r.last();
  ReplayedSnapshot out;
  out.ref = r.at(parse_time(at.empty() ? "end" : at, first.wall_ns, last.wall_ns));
  Sample s = r.load(out.ref.id);
  if (want_threads && !s.threads)
    throw Error(path + " was recorded without --threads: it has no per-thread rows (drop -L, or record with --threads)");
  out.threads = s.threads;
  out.snap = std::move(s.snap);
  for (std::string& n : out.snap.notes) n = "when recorded: " + n;
  if (!pids.empty())
    std::erase_if(out.snap.processes, [&](const Process& p) { return std::find(pids.begin(), pids.end(), p.pid) == pids.end(); });
  return out;
}

}  // namespace ts::history
