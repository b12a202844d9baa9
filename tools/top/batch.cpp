// batch.cpp: `taskscope top -b`: frames as text (header, then the whole table) or as NDJSON.
#include <poll.h>

#include <algorithm>
#include <climits>
#include <thread>
#include <type_traits>

#include "format/ndjson.h"
#include "history/replay_feed.h"
#include "model/error.h"
#include "output.h"
#include "top.h"
#include "view/compose.h"
#include "view/header.h"
#include "view/symbol_cache.h"

namespace ts::tools::top {

namespace {

using nlohmann::json;

// next_frame() waits for the collector's next frame (a replay's next sample; null at its end).
std::shared_ptr<const view::Frame> next_frame(history::ReplayFeed& c) {
  if (auto f = c.take()) return f;
  return c.next() ? c.take() : nullptr;
}
std::shared_ptr<const view::Frame> next_frame(view::Collector& c) {
  for (;;) {
    pollfd p{c.fd(), POLLIN, 0};
    if (poll(&p, 1, -1) < 0 && errno != EINTR) return nullptr;
    if (auto f = c.take()) return f;
  }
}

std::string rstrip(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

json frame_json(const view::Frame& f, const std::string& source) {
  const view::TaskCounts t = view::task_counts(f);
  const MachineSample& m = f.machine;
  json cpus = json::array();
  for (size_t i = 0; i < f.machine_rates.cpus.size(); ++i)
    cpus.push_back(json{{"cpu", f.machine_rates.cpu_ids[i]}, {"busy_pct", f.machine_rates.cpus[i].busy()},
                        {"user_pct", f.machine_rates.cpus[i].user}, {"system_pct", f.machine_rates.cpus[i].system}});
  return json{{"type", "frame"},         {"pid", nullptr},
              {"time_ns", f.taken_ns},
              {"interval_s", f.interval_s}, {"source", source},
              {"cpu_pct", f.machine_rates.all.busy()}, {"cpus", cpus},
              {"mem_total", m.mem_total}, {"mem_used", m.mem_used()},
              {"swap_total", m.swap_total}, {"swap_used", m.swap_total > m.swap_free ? m.swap_total - m.swap_free : 0},
              {"load", {m.load1, m.load5, m.load15}}, {"uptime_s", m.uptime_s},
              {"ctxt_ps", f.machine_rates.ctxt_ps}, {"forks_ps", f.machine_rates.forks_ps},
              {"processes", t.processes}, {"threads", t.threads}, {"kthreads", t.kthreads}, {"running", t.running},
              {"events_lost", f.events_lost}, {"notes", f.notes}};
}

void print_json(std::ostream& out, int frame, const view::Frame& f, const view::TableView& v,
                const view::GoroLabels& labels, const std::string& source) {
  json head = frame_json(f, source);
  head["frame"] = frame;
  out << json_line(head) << '\n';
  std::vector<std::string_view> ids{"pid", "tid", "ppid", "user", "uid", "pri", "ni", "virt", "res", "state", "pcpu",
                                    "pmem", "timeplus", "nlwp", "nvcsw_ps", "nivcsw_ps"};
  if (view::delay_shown(f)) ids.push_back("delay");
  ids.push_back("rt");
  ids.push_back("name");
  ids.push_back("command");
  const auto cols = view::columns(ids);
  for (const view::DisplayRow& d : v.rows) {
    json j = view::row_json(d.thread ? "thread" : "process", cols, d.row, v.env);
    j["frame"] = frame;
    j["dying"] = d.row.dying;
    if (d.thread)
      if (auto l = labels.find(d.row.task->tid); l != labels.end()) j["goro"] = l->second;
    out << json_line(j) << '\n';
  }
}

// batch() prints the frames of `collector`: the live Collector (after a first frame without rates),
// or a recording's ReplayFeed from its --at on.
template <class Feed>
int batch(Feed& collector, const TopOptions& o, Context& ctx, const view::CollectorConfig& cfg) {
  constexpr bool kLive = !std::is_same_v<Feed, history::ReplayFeed>;
  const std::string source = collector.source_name();
  view::TopState st = initial_state(o);
  view::SymbolCache symbols;
  const view::SymbolizeFn symbolize = [&](int32_t pid, uint64_t pc) { return symbols.name(pid, pc); };
  // The first pass has no rates: a second one shortly after gives the first frame its CPU% and
  // switch rates, as top's first batch frame has.
  auto first = kLive ? next_frame(collector) : nullptr;
  if (first) {
    // -p names processes that do not exist: said once; when none does there is nothing to show.
    std::vector<int32_t> missing;
    for (int32_t pid : cfg.pids)
      if (!first->snap.find(pid) && std::find(missing.begin(), missing.end(), pid) == missing.end()) missing.push_back(pid);
    std::string list;
    for (int32_t pid : missing) list += (list.empty() ? "" : ", ") + std::to_string(pid);
    const std::string msg = std::string(missing.size() == 1 ? "no process with pid " : "no process with pids ") + list;
    if (!missing.empty() && missing.size() == cfg.pids.size()) throw Error(msg);
    if (!missing.empty()) ctx.err << "taskscope: " << msg << '\n';
  }
  if (kLive) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  collector.refresh();
  for (int n = 0; o.frames == 0 || n < o.frames; ++n) {
    auto f = next_frame(collector);
    if (!f) break;
    symbols.retain(*f);
    const view::GoroLabels labels = view::goro_labels(*f, symbolize, true);
    view::TableView v = view::build_table(*f, st, labels);
    if (o.json) {
      print_json(ctx.out, n + 1, *f, v, labels, source);
    } else {
      if (n) ctx.out << '\n';
      for (const view::Line& l : view::header_lines(*f, source, 120, true)) ctx.out << rstrip(l.text()) << '\n';
      ctx.out << '\n';
      for (const view::Line& l : view::table_lines(v, st, 0, v.rows.size(), INT_MAX / 4, true)) ctx.out << rstrip(l.text()) << '\n';
    }
    check_output(ctx.out);
  }
  return 0;
}

}  // namespace

int run_batch(const TopOptions& o, Context& ctx) {
  if (!o.replay.empty()) {
    history::ReplayFeed feed(o.replay, o.at);
    return batch(feed, o, ctx, {});
  }
  const view::CollectorConfig cfg = collector_config(o);
  view::Collector collector(cfg);
  collector.start();
  return batch(collector, o, ctx, cfg);
}

}  // namespace ts::tools::top
