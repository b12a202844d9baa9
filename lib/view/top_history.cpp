// top_history.cpp: feeding the graph series from frames.
#include "view/top_history.h"

namespace ts::view {

TopHistory::TopHistory(size_t capacity)
    : cap_(capacity), cpu_all_(capacity), mem_(capacity), ctxt_(capacity), clones_(capacity),
      proc_cpu_(capacity), proc_nvcsw_(capacity), proc_nivcsw_(capacity), goro_runnable_(capacity),
      goro_switches_(capacity) {}

void TopHistory::push(const Frame& f, int32_t pid) {
  if (f.seq != 0 && f.seq == last_seq_) return;
  last_seq_ = f.seq;
  const MachineRates& r = f.machine_rates;
  if (f.interval_s > 0 || r.seconds > 0) {
    if (cpu_.size() != r.cpus.size()) cpu_.assign(r.cpus.size(), History(cap_));
    for (size_t i = 0; i < r.cpus.size(); ++i) cpu_[i].push(r.cpus[i].busy());
    cpu_all_.push(r.all.busy());
    ctxt_.push(r.ctxt_ps);
    clones_.push(f.clones_known ? f.clones_ps + f.threads_ps : r.forks_ps);
  }
  if (f.machine.mem_total)
    mem_.push(100.0 * static_cast<double>(f.machine.mem_used()) / static_cast<double>(f.machine.mem_total));

  if (pid != pid_) {
    pid_ = pid;
    proc_cpu_ = History(cap_), proc_nvcsw_ = History(cap_), proc_nivcsw_ = History(cap_);
    goro_runnable_ = History(cap_), goro_switches_ = History(cap_);
    goro_prev_switches_ = goro_prev_ns_ = 0;
  }
  if (!pid_) return;
  if (auto it = f.process_rates.find(pid_); it != f.process_rates.end()) {
    proc_cpu_.push(it->second.cpu_pct);
    proc_nvcsw_.push(it->second.nvcsw_ps);
    proc_nivcsw_.push(it->second.nivcsw_ps);
  }
  if (auto g = f.goro.find(pid_); g != f.goro.end()) {
    double runnable = static_cast<double>(g->second.global_runq_len);
    uint64_t switches = 0;
    for (const GoroP& p : g->second.ps) {
      switches += p.switches;
      if (p.id < g->second.gomaxprocs) runnable += p.runq_len;
    }
    goro_runnable_.push(runnable);
    const uint64_t now = g->second.taken_ns;
    if (goro_prev_ns_ && now > goro_prev_ns_ && switches >= goro_prev_switches_)
      goro_switches_.push(static_cast<double>(switches - goro_prev_switches_) * 1e9 / static_cast<double>(now - goro_prev_ns_));
    goro_prev_switches_ = switches;
    goro_prev_ns_ = now;
  }
}

}  // namespace ts::view
