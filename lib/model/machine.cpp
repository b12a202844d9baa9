// machine.cpp: machine-wide rates from two samples.
#include "model/machine.h"

#include <cstddef>

namespace ts {

uint64_t MachineSample::mem_used() const {
  const uint64_t unused = mem_free + mem_buffers + mem_cached;
  return mem_total > unused ? mem_total - unused : 0;
}

namespace {

// grew() is how far a counter moved; false when it went backwards.
bool grew(uint64_t prev, uint64_t cur, uint64_t& out) {
  if (cur < prev) return false;
  out = cur - prev;
  return true;
}

}  // namespace

CpuShare share(const CpuTicks& prev, const CpuTicks& cur) {
  CpuTicks d;
  // iowait may go backwards on an idling CPU (proc(5) says so): that interval counts none of it.
  if (!grew(prev.iowait, cur.iowait, d.iowait)) d.iowait = 0;
  const bool ok = grew(prev.user, cur.user, d.user) && grew(prev.nice, cur.nice, d.nice) &&
                  grew(prev.system, cur.system, d.system) && grew(prev.idle, cur.idle, d.idle) &&
                  grew(prev.irq, cur.irq, d.irq) &&
                  grew(prev.softirq, cur.softirq, d.softirq) && grew(prev.steal, cur.steal, d.steal) &&
                  grew(prev.guest, cur.guest, d.guest) && grew(prev.guest_nice, cur.guest_nice, d.guest_nice);
  const uint64_t total = d.total();
  CpuShare s;
  if (!ok || total == 0) return s;
  const double pct = 100.0 / double(total);
  const uint64_t guest = d.guest + d.guest_nice;
  s.user = double(d.user > d.guest ? d.user - d.guest : 0) * pct;
  s.nice = double(d.nice > d.guest_nice ? d.nice - d.guest_nice : 0) * pct;
  s.system = double(d.system) * pct;
  s.irq = double(d.irq) * pct;
  s.softirq = double(d.softirq) * pct;
  s.steal = double(d.steal) * pct;
  s.iowait = double(d.iowait) * pct;
  s.guest = double(guest) * pct;
  return s;
}

MachineRates diff(const MachineSample& prev, const MachineSample& cur) {
  MachineRates r;
  if (cur.taken_ns <= prev.taken_ns) return r;
  r.seconds = double(cur.taken_ns - prev.taken_ns) / 1e9;
  r.all = share(prev.all, cur.all);
  for (size_t i = 0; i < cur.cpus.size() && i < cur.cpu_ids.size(); i++)
    for (size_t j = 0; j < prev.cpus.size() && j < prev.cpu_ids.size(); j++)
      if (prev.cpu_ids[j] == cur.cpu_ids[i]) {
        r.cpu_ids.push_back(cur.cpu_ids[i]);
        r.cpus.push_back(share(prev.cpus[j], cur.cpus[i]));
        break;
      }
  uint64_t d = 0;
  if (grew(prev.ctxt, cur.ctxt, d)) r.ctxt_ps = double(d) / r.seconds;
  if (grew(prev.forks, cur.forks, d)) r.forks_ps = double(d) / r.seconds;
  return r;
}

}  // namespace ts
