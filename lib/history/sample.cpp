// sample.cpp: a Frame to a Sample, and a Sample to bytes and back (every field, in a fixed order).
#include "history/sample.h"

#include <algorithm>

#include "history/blob.h"
#include "history/goro_codec.h"
#include "history/process_codec.h"
#include "view/frame.h"

namespace ts::history {

namespace {

// A version-2 blob says after its version whether it is whole (a key) or a delta.
constexpr uint64_t kKey = 0, kDelta = 1;

// summed() is `p` with one task standing for all of its threads (from_frame() without threads).
Process summed(const Process& p) {
  Process out = p;
  out.tasks.clear();
  if (p.tasks.empty()) return out;
  Task t = p.leader() ? *p.leader() : p.tasks.front();
  t.tid = p.pid;
  t.utime_ns = t.stime_ns = t.nvcsw = t.nivcsw = t.run_delay_ns = t.pcount = 0;
  for (const Task& x : p.tasks) {
    t.utime_ns += x.utime_ns;
    t.stime_ns += x.stime_ns;
    t.nvcsw += x.nvcsw;
    t.nivcsw += x.nivcsw;
    t.run_delay_ns += x.run_delay_ns;
    t.pcount += x.pcount;
  }
  out.tasks.push_back(std::move(t));
  return out;
}

void put_ticks(BlobWriter& w, const CpuTicks& t) {
  for (uint64_t v : {t.user, t.nice, t.system, t.idle, t.iowait, t.irq, t.softirq, t.steal, t.guest, t.guest_nice}) w.u(v);
}

CpuTicks get_ticks(BlobReader& r) {
  CpuTicks t;
  for (uint64_t* v : {&t.user, &t.nice, &t.system, &t.idle, &t.iowait, &t.irq, &t.softirq, &t.steal, &t.guest, &t.guest_nice})
    *v = r.u();
  return t;
}

void put_machine(BlobWriter& w, const MachineSample& m) {
  w.u(m.taken_ns);
  put_ticks(w, m.all);
  w.u(m.cpus.size());
  for (size_t k = 0; k < m.cpus.size(); ++k) {
    w.i(k < m.cpu_ids.size() ? m.cpu_ids[k] : static_cast<int32_t>(k));
    put_ticks(w, m.cpus[k]);
  }
  for (uint64_t v : {m.mem_total, m.mem_free, m.mem_available, m.mem_buffers, m.mem_cached, m.mem_shared, m.swap_total, m.swap_free})
    w.u(v);
  for (double v : {m.load1, m.load5, m.load15, m.uptime_s}) w.f(v);
  w.u(m.ctxt);
  w.u(m.forks);
  w.u(m.procs_running);
  w.u(m.procs_blocked);
}

MachineSample get_machine(BlobReader& r) {
  MachineSample m;
  m.taken_ns = r.u();
  m.all = get_ticks(r);
  const size_t n = r.count(11);
  for (size_t k = 0; k < n; ++k) {
    m.cpu_ids.push_back(r.i32());
    m.cpus.push_back(get_ticks(r));
  }
  for (uint64_t* v : {&m.mem_total, &m.mem_free, &m.mem_available, &m.mem_buffers, &m.mem_cached, &m.mem_shared,
                      &m.swap_total, &m.swap_free})
    *v = r.u();
  for (double* v : {&m.load1, &m.load5, &m.load15, &m.uptime_s}) *v = r.f();
  m.ctxt = r.u();
  m.forks = r.u();
  m.procs_running = r.u32();
  m.procs_blocked = r.u32();
  return m;
}

}  // namespace

bool in_pid_order(const std::vector<Process>& ps) {
  return std::adjacent_find(ps.begin(), ps.end(), [](const Process& a, const Process& b) { return a.pid >= b.pid; }) == ps.end();
}

Sample frame_head(const view::Frame& f, const NameFn& name) {
  Sample s;
  s.threads = true;
  s.snap.taken_ns = f.snap.taken_ns;
  s.snap.boot_time_unix_ns = f.snap.boot_time_unix_ns;
  s.snap.fields = f.snap.fields;
  s.snap.source = f.snap.source;
  s.snap.notes = f.snap.notes;
  s.machine = f.machine;
  for (const auto& [pid, g] : f.goro) s.goro.emplace(pid, keep_gs(g, name));
  s.events_on = f.events_on;
  s.events_lost = f.events_lost;
  s.notes = f.notes;
  return s;
}

Sample from_frame(const view::Frame& f, bool threads, const NameFn& name) {
  Sample s = frame_head(f, name);
  s.threads = threads;
  s.snap.processes.reserve(f.snap.processes.size());
  for (const Process& p : f.snap.processes) s.snap.processes.push_back(threads ? p : summed(p));
  // A sample's processes are in strict pid order (the reader refuses others): a snapshot that has
  // a process twice (read by the walk and again from /proc, the pass it stopped hiding) keeps one.
  std::vector<Process>& ps = s.snap.processes;
  if (!in_pid_order(ps)) {
    std::stable_sort(ps.begin(), ps.end(), [](const Process& a, const Process& b) { return a.pid < b.pid; });
    ps.erase(std::unique(ps.begin(), ps.end(), [](const Process& a, const Process& b) { return a.pid == b.pid; }), ps.end());
  }
  return s;
}

std::string encode(const Sample& s, const Sample* base) {
  return encode(s, s.snap.processes, base ? &base->snap.processes : nullptr);
}

std::string encode(const Sample& s, const std::vector<Process>& procs, const std::vector<Process>* base_procs) {
  BlobWriter w;
  w.u(kSampleVersion);
  w.u(base_procs ? kDelta : kKey);
  w.u(s.threads);
  w.u(s.snap.taken_ns);
  w.u(s.snap.boot_time_unix_ns);
  w.u(s.snap.fields);
  w.s(s.snap.source);
  w.u(s.snap.notes.size());
  for (const std::string& n : s.snap.notes) w.s(n);
  put_machine(w, s.machine);
  if (base_procs)
    put_processes_delta(w, *base_procs, procs);
  else
    put_processes(w, procs);
  w.u(s.goro.size());
  for (const auto& [pid, g] : s.goro) put_goro(w, g);
  w.u(s.events_on);
  w.u(s.events_lost);
  w.u(s.notes.size());
  for (const std::string& n : s.notes) w.s(n);
  return w.take();
}

namespace {

// decode_into() reads a blob; a delta is applied to *base (consumed), which must then be given.
Sample decode_into(std::string_view blob, const std::string& what, Sample* base) {
  BlobReader r(blob, what);
  Sample s;
  const uint64_t version = r.u();
  if (version < kOldestSampleVersion || version > kSampleVersion)
    r.fail("sample encoding version " + std::to_string(version) + " (this taskscope reads " + std::to_string(kOldestSampleVersion) +
           " to " + std::to_string(kSampleVersion) + ")");
  const uint64_t kind = version == 1 ? kKey : r.u();
  if (kind != kKey && kind != kDelta) r.fail("bad sample kind " + std::to_string(kind));
  if (kind == kDelta && !base) r.fail("a delta sample read without the sample before it");
  if (kind == kKey && base) r.fail("a key sample where a delta was expected");
  s.threads = r.u() != 0;
  s.snap.taken_ns = r.u();
  s.snap.boot_time_unix_ns = r.u();
  s.snap.fields = r.u32();
  s.snap.source = r.s(64);
  for (size_t k = 0, n = r.count(); k < n; ++k) s.snap.notes.push_back(r.s(4096));
  s.machine = get_machine(r);
  s.snap.processes = base ? get_processes_delta(r, std::move(base->snap.processes)) : get_processes(r);
  for (size_t k = 0, n = r.count(8); k < n; ++k) {
    GoroSnapshot g = get_goro(r, version);
    const int32_t pid = g.pid;
    s.goro.emplace(pid, std::move(g));
  }
  s.events_on = r.u() != 0;
  s.events_lost = r.u();
  for (size_t k = 0, n = r.count(); k < n; ++k) s.notes.push_back(r.s(4096));
  if (!r.at_end()) r.fail("trailing bytes");
  return s;
}

}  // namespace

Sample decode(std::string_view blob, const std::string& what) { return decode_into(blob, what, nullptr); }

Sample decode_delta(std::string_view blob, const std::string& what, Sample base) { return decode_into(blob, what, &base); }

}  // namespace ts::history
