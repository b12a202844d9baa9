// gmp_pane.cpp: Ps, Ms joined to LWPs, Gs by state, the longest waits.
#include "view/gmp_pane.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "format/units.h"
#include "view/collect_runtime.h"

namespace ts::view {

namespace {


const char* m_state(const GoroM& m) {
  if (m.in_syscall) return "syscall";
  if (m.spinning) return "spinning";
  if (m.parked) return "parked";
  if (m.cur_goid) return "running";
  return "idle";
}

std::string id_or_dash(int64_t v) { return v < 0 ? "-" : std::to_string(v); }

Line heading(const std::string& s) {
  Line l;
  l.add(s, Style::Title);
  return l;
}

Line header(const std::string& s) {
  Line l;
  l.add(s, Style::Header);
  l.fill = Style::Header;
  return l;
}

std::string fn_of(const SymbolizeFn& sym, int32_t pid, const GoroG* g) {
  if (g && !g->function.empty()) return g->function + "()";  // named when recorded
  if (!g || !g->start_pc || !sym) return "";
  const std::string n = sym(pid, g->start_pc);
  return n.empty() ? "" : n + "()";
}

}  // namespace

std::vector<int32_t> gmp_pids(const Frame& f) {
  std::vector<int32_t> out;
  for (const auto& [pid, g] : f.goro) out.push_back(pid);
  for (const auto& [pid, rt] : f.runtimes)
    if (!f.goro.count(pid)) out.push_back(pid);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int32_t> go_pids_shown(const Frame& f, const TopState& st, const TableView& v, int page) {
  std::vector<int32_t> out;
  auto add = [&](int32_t pid) {
    const auto rt = f.runtimes.find(pid);
    if (rt != f.runtimes.end() && is_go_runtime(rt->second)) out.push_back(pid);
  };
  if (st.pane == Pane::Gmp) add(st.gmp_pid);
  if (st.mode == TableMode::Threads && st.pane == Pane::Table) {
    const size_t first = static_cast<size_t>(std::max(0, st.scroll));
    for (size_t i = first; i < v.rows.size() && i < first + static_cast<size_t>(std::max(page, 1)); ++i) add(v.rows[i].id.pid);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<MJoin> join_ms(const Frame& f, const GoroSnapshot& g) {
  std::vector<MJoin> out;
  const Process* p = f.snap.find(g.pid);
  for (const GoroM& m : g.ms) {
    MJoin j;
    j.m = &m;
    if (p)
      for (const Task& t : p->tasks)
        if (t.tid == m.tid) j.lwp = &t;
    if (m.cur_goid) j.g = g.find_g(m.cur_goid);
    if (auto it = f.rates.find(m.tid); it != f.rates.end() && j.lwp) {
      j.rate.known = true;
      j.rate.cpu_pct = it->second.cpu_pct;
      j.rate.nvcsw_ps = it->second.nvcsw_ps;
      j.rate.nivcsw_ps = it->second.nivcsw_ps;
    }
    out.push_back(j);
  }
  return out;
}

std::vector<Line> gmp_pane_lines(const Frame& f, int32_t pid, const GoroSnapshot* prev, const SymbolizeFn& symbolize,
                                 bool utf8) {
  std::vector<Line> out;
  auto it = f.goro.find(pid);
  if (it == f.goro.end()) {
    out.push_back(heading("G/M/P"));
    Line l;
    const auto rt = f.runtimes.find(pid);
    if (const auto e = f.gmp_errors.find(pid); e != f.gmp_errors.end())
      l.add(safe_text(e->second, utf8), Style::Warning);
    else if (rt != f.runtimes.end() && is_go_runtime(rt->second))
      l.add(strprintf("reading the Go runtime of pid %d from its memory...", pid), Style::Dim);
    else
      l.add(strprintf("pid %d publishes no goro state (no /dev/shm/goro.%d, or it ended) and is not a Go program", pid, pid),
            Style::Warning);
    out.push_back(std::move(l));
    return out;
  }
  const GoroSnapshot& g = it->second;
  const Process* p = f.snap.find(pid);
  uint64_t switches = 0, prev_switches = 0;
  for (const GoroP& q : g.ps) switches += q.switches;
  std::string rate;
  if (prev && prev->taken_ns < g.taken_ns) {
    for (const GoroP& q : prev->ps) prev_switches += q.switches;
    if (switches >= prev_switches)
      rate = ", " + per_second(static_cast<double>(switches - prev_switches) * 1e9 / static_cast<double>(g.taken_ns - prev->taken_ns)) +
             " G switches/s";
  }
  out.push_back(heading(safe_text(strprintf("G/M/P of pid %d (%s): gomaxprocs %u, %zu Ms, %zu Gs, global runq %llu%s", pid,
                                      p ? p->comm.c_str() : "?", g.gomaxprocs, g.ms.size(), static_cast<size_t>(g_total(g)),
                                      static_cast<unsigned long long>(g.global_runq_len), rate.c_str()),
                                  utf8)));
  if (g.torn) out.push_back(Line{{Span{strprintf("%u records torn (skipped)", g.torn), Style::Warning}}, Style::Normal});

  out.push_back(header(strprintf("%-4s %-8s %-4s %6s %8s %12s", "P", "STATUS", "M", "RUNQ", "RUNNEXT", "SWITCHES")));
  for (const GoroP& q : g.ps) {
    if (q.id >= g.gomaxprocs) continue;
    Line l;
    l.add(strprintf("P%-3u %-8s %-4s %6u %8s %12llu", q.id, pstatus_name(q.status), id_or_dash(q.m_id).c_str(), q.runq_len,
              q.runnext_goid ? std::to_string(q.runnext_goid).c_str() : "-", static_cast<unsigned long long>(q.switches)));
    out.push_back(std::move(l));
  }

  const char* arrow = utf8 ? "\u2192" : "->";
  out.push_back(Line{});
  out.push_back(header(strprintf("%-4s %-8s %-16s %-9s %-3s %-8s %6s %8s %9s  %s", "M", "LWP", "THREAD", "STATE", "P", "G", "CPU%",
                           "NVCSW/s", "NIVCSW/s", "FUNCTION")));
  for (const MJoin& j : join_ms(f, g)) {
    Line l;
    l.add(strprintf("M%-3u ", j.m->id), Style::Goro);
    l.add(strprintf("%-8s ", j.lwp ? std::to_string(j.m->tid).c_str() : (std::to_string(j.m->tid) + "?").c_str()));
    l.add(fit(safe_text(j.lwp ? j.lwp->comm : "(gone)", utf8), 16) + " ");
    l.add(strprintf("%-9s %-3s ", m_state(*j.m), j.m->p_id >= 0 ? ("P" + std::to_string(j.m->p_id)).c_str() : "-"));
    l.add(fit(j.m->cur_goid ? std::string(arrow) + "G" + std::to_string(j.m->cur_goid) : "-", 8) + " ", Style::Goro);
    l.add(j.rate.known ? strprintf("%6.1f %8s %9s", j.rate.cpu_pct, per_second(j.rate.nvcsw_ps).c_str(),
                             per_second(j.rate.nivcsw_ps).c_str())
                       : strprintf("%6s %8s %9s", "-", "-", "-"));
    l.add("  " + safe_text(fn_of(symbolize, pid, j.g), utf8));
    out.push_back(std::move(l));
  }

  // Gs by state, waiting ones by reason.
  std::map<std::string, uint64_t> by;
  for (const GCount& c : count_gs(g)) {  // a recording's counts: its gs keeps only some Gs
    if (c.state == GState::Dead || c.state == GState::Idle) continue;
    std::string k = gstate_name(c.state);
    if (c.state == GState::Waiting && c.wait_reason != WaitReason::None) k += std::string(" (") + wait_reason_name(c.wait_reason) + ")";
    by[k] += c.n;
  }
  out.push_back(Line{});
  out.push_back(heading("Gs by state"));
  for (const auto& [k, n] : by) out.push_back(Line{{Span{strprintf("  %6llu  %s", static_cast<unsigned long long>(n), k.c_str())}}, Style::Normal});

  std::vector<const GoroG*> waiting;
  for (const GoroG& x : g.gs)
    if (x.state == GState::Waiting) waiting.push_back(&x);
  std::stable_sort(waiting.begin(), waiting.end(), [](const GoroG* a, const GoroG* b) { return a->wait_ns > b->wait_ns; });
  if (waiting.size() > kWaitingGsShown) waiting.resize(kWaitingGsShown);
  out.push_back(Line{});
  out.push_back(header(strprintf("%-8s %-18s %10s  %s", "G", "WAITING ON", "FOR", "FUNCTION")));
  for (const GoroG* x : waiting)
    out.push_back(Line{{Span{strprintf("G%-7llu %-18s %10s  ", static_cast<unsigned long long>(x->goid), wait_reason_name(x->wait_reason),
                                 short_duration(x->wait_ns).c_str())},
                        Span{safe_text(fn_of(symbolize, pid, x), utf8)}},
                       Style::Normal});
  return out;
}

}  // namespace ts::view
