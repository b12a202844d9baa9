// goro_codec.cpp: the Gs a sample keeps, and the G/M/P fields in a fixed order.
#include "history/goro_codec.h"

#include <algorithm>
#include <vector>

#include "view/gmp_pane.h"

namespace ts::history {

const size_t kKeptWaitingGs = view::kWaitingGsShown;

namespace {

template <class E>
E get_enum(BlobReader& r, uint64_t last) {
  const uint64_t v = r.u();
  if (v > last) r.fail("enum value out of range");
  return static_cast<E>(v);
}

}  // namespace

GoroSnapshot keep_gs(const GoroSnapshot& g, const NameFn& name) {
  GoroSnapshot out = g;
  out.gs.clear();
  out.g_counts = count_gs(g);
  std::vector<size_t> run, wait;  // slots
  for (size_t k = 0; k < g.gs.size(); ++k) {
    const GoroG& x = g.gs[k];
    const bool on_m = x.state == GState::Running || x.state == GState::Syscall ||
                      std::any_of(g.ms.begin(), g.ms.end(), [&](const GoroM& m) { return m.cur_goid == x.goid; });
    if (on_m && run.size() < kMaxKeptRunningGs) run.push_back(k);
    else if (x.state == GState::Waiting) wait.push_back(k);
  }
  const auto longer = [&](size_t a, size_t b) { return g.gs[a].wait_ns > g.gs[b].wait_ns; };
  if (wait.size() > kKeptWaitingGs) {
    std::stable_sort(wait.begin(), wait.end(), longer);
    wait.resize(kKeptWaitingGs);
  }
  run.insert(run.end(), wait.begin(), wait.end());
  std::sort(run.begin(), run.end());
  out.gs.reserve(run.size());
  for (size_t k : run) {
    GoroG x = g.gs[k];
    x.sp = x.pc = x.fp = x.stack_lo = x.stack_hi = 0;  // not stored
    if (name && x.function.empty() && x.start_pc) x.function = name(g.pid, x.start_pc);
    out.gs.push_back(std::move(x));
  }
  return out;
}

void put_goro(BlobWriter& w, const GoroSnapshot& g) {
  w.i(g.pid);
  w.s(g.runtime);
  for (uint64_t v : {g.taken_ns, g.start_unix_ns, uint64_t{g.gomaxprocs}, g.sysmon_ticks, g.global_runq_len,
                     uint64_t{g.g_slots}, uint64_t{g.torn}})
    w.u(v);
  w.u(g.ps.size());
  for (const GoroP& p : g.ps) {
    w.u(p.id);
    w.u(static_cast<uint8_t>(p.status));
    w.i(p.m_id);
    for (uint64_t v : {uint64_t{p.runq_len}, p.runnext_goid, p.schedtick, p.syscalltick, p.switches, p.gs_created, p.steals}) w.u(v);
  }
  w.u(g.ms.size());
  for (const GoroM& m : g.ms) {
    w.u(m.id);
    w.i(m.tid);
    w.i(m.p_id);
    w.u(uint64_t{m.tid_alive} | uint64_t{m.spinning} << 1 | uint64_t{m.in_syscall} << 2 | uint64_t{m.parked} << 3 |
        uint64_t{m.sysmon} << 4);
    w.u(m.cur_goid);
  }
  w.u(g.g_counts.size());
  for (const GCount& c : g.g_counts) {
    w.u(static_cast<uint8_t>(c.state));
    w.u(static_cast<uint8_t>(c.wait_reason));
    w.u(c.n);
  }
  w.u(g.gs.size());
  for (const GoroG& x : g.gs) {
    w.u(x.goid);
    w.u(static_cast<uint8_t>(x.state));
    w.u(static_cast<uint8_t>(x.wait_reason));
    w.s(x.wait_text);
    for (uint64_t v : {x.wait_since_ns, x.wait_ns, x.run_since_ns, x.run_ns, x.parent_goid}) w.u(v);
    w.i(x.m_id);
    for (uint64_t v : {x.create_pc, x.start_pc}) w.u(v);
    w.u(uint64_t{x.long_running} | uint64_t{x.main} << 1 | uint64_t{x.system} << 2);
    w.s(x.function);
  }
}

GoroSnapshot get_goro(BlobReader& r, uint64_t version) {
  GoroSnapshot g;
  g.pid = r.i32();
  g.runtime = r.s(256);
  g.taken_ns = r.u();
  g.start_unix_ns = r.u();
  g.gomaxprocs = r.u32();
  g.sysmon_ticks = r.u();
  g.global_runq_len = r.u();
  g.g_slots = r.u32();
  g.torn = r.u32();
  for (size_t k = 0, n = r.count(10); k < n; ++k) {
    GoroP p;
    p.id = r.u32();
    p.status = get_enum<PStatus>(r, static_cast<uint64_t>(PStatus::Dead));
    p.m_id = r.i32();
    p.runq_len = r.u32();
    for (uint64_t* v : {&p.runnext_goid, &p.schedtick, &p.syscalltick, &p.switches, &p.gs_created, &p.steals}) *v = r.u();
    g.ps.push_back(p);
  }
  for (size_t k = 0, n = r.count(5); k < n; ++k) {
    GoroM m;
    m.id = r.u32();
    m.tid = r.i32();
    m.p_id = r.i32();
    const uint64_t fl = r.u();
    m.tid_alive = fl & 1, m.spinning = fl & 2, m.in_syscall = fl & 4, m.parked = fl & 8, m.sysmon = fl & 16;
    m.cur_goid = r.u();
    g.ms.push_back(m);
  }
  const bool kept = version >= 3;  // versions 1 and 2 stored every G, without counts
  if (kept)
    for (size_t k = 0, n = r.count(3); k < n; ++k) {
      GCount c;
      c.state = get_enum<GState>(r, static_cast<uint64_t>(GState::Dead));
      c.wait_reason = get_enum<WaitReason>(r, static_cast<uint64_t>(WaitReason::Timer));
      c.n = r.u();
      g.g_counts.push_back(c);
    }
  for (size_t k = 0, n = r.count(kept ? 14 : 13); k < n; ++k) {
    GoroG x;
    x.goid = r.u();
    x.state = get_enum<GState>(r, static_cast<uint64_t>(GState::Dead));
    x.wait_reason = get_enum<WaitReason>(r, static_cast<uint64_t>(WaitReason::Timer));
    x.wait_text = r.s(256);
    for (uint64_t* v : {&x.wait_since_ns, &x.wait_ns, &x.run_since_ns, &x.run_ns, &x.parent_goid}) *v = r.u();
    x.m_id = r.i32();
    x.create_pc = r.u();
    x.start_pc = r.u();
    const uint64_t fl = r.u();
    x.long_running = fl & 1, x.main = fl & 2, x.system = fl & 4;
    if (kept) x.function = r.s(4096);
    g.gs.push_back(std::move(x));
  }
  return g;
}

}  // namespace ts::history
