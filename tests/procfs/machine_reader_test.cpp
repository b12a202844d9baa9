// machine_reader_test.cpp: the machine-wide counters read through libproc2, checked against the
// machine (sysconf, our own fork) rather than against constants.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "procfs/machine_reader.h"

using namespace ts;

TEST_CASE("MachineReader sees every online CPU, the memory and counters that move", "[machine]") {
  procfs::MachineReader reader;
  const MachineSample a = reader.read();
  CHECK(a.cpus.size() == size_t(sysconf(_SC_NPROCESSORS_ONLN)));
  CHECK(a.cpu_ids.size() == a.cpus.size());
  CHECK(a.mem_total == uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGESIZE)));
  CHECK(a.mem_available <= a.mem_total);
  CHECK(a.mem_free <= a.mem_total);
  CHECK(a.swap_free <= a.swap_total);
  CHECK(a.uptime_s > 0);
  CHECK(a.load1 >= 0);
  CHECK(a.all.total() > 0);
  CHECK(a.procs_running >= 1);  // this thread
  uint64_t per_cpu = 0;
  for (const CpuTicks& c : a.cpus) per_cpu += c.total();
  // The summary line is the per-CPU lines' sum, each field rounded from nanoseconds on its own:
  // at most a tick per field and CPU apart (read in the same pass).
  const uint64_t slack = 10 * a.cpus.size();
  CHECK(per_cpu + slack >= a.all.total());
  CHECK(per_cpu <= a.all.total() + slack);

  for (int i = 0; i < 3; i++) {
    pid_t p = fork();
    if (p == 0) _exit(0);
    waitpid(p, nullptr, 0);
  }
  usleep(20000);
  const MachineSample b = reader.read();
  CHECK(b.taken_ns > a.taken_ns);
  CHECK(b.forks >= a.forks + 3);
  CHECK(b.ctxt > a.ctxt);
  CHECK(b.all.total() >= a.all.total());
  const MachineRates r = diff(a, b);
  CHECK(r.forks_ps > 0);
  CHECK(r.cpus.size() == b.cpus.size());
  for (const CpuShare& s : r.cpus) CHECK(s.busy() <= 100.0001);
}
