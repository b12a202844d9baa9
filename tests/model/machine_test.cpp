// machine_test.cpp: machine-wide rates from hand-made samples.
#include <catch2/catch.hpp>

#include "model/machine.h"

using namespace ts;

namespace {

CpuTicks ticks(uint64_t user, uint64_t system, uint64_t idle) {
  CpuTicks t;
  t.user = user, t.system = system, t.idle = idle;
  return t;
}

}  // namespace

TEST_CASE("share() splits an interval's ticks by kind, guest time out of user", "[machine]") {
  CpuTicks a = ticks(100, 50, 1000), b = a;
  b.user += 30, b.guest += 10, b.system += 20, b.irq += 5, b.steal += 5, b.idle += 40;
  const CpuShare s = share(a, b);
  // 30 user (10 of them guest) + 20 system + 5 irq + 5 steal + 40 idle = 100 ticks.
  CHECK(s.user == Approx(20));
  CHECK(s.guest == Approx(10));
  CHECK(s.system == Approx(20));
  CHECK(s.irq == Approx(5));
  CHECK(s.steal == Approx(5));
  CHECK(s.busy() == Approx(60));
}

TEST_CASE("share() is zero when no tick passed or a counter went backwards, and forgives iowait", "[machine]") {
  CpuTicks a = ticks(100, 50, 1000);
  CHECK(share(a, a).busy() == 0);
  CpuTicks back = a;
  back.user = 90, back.idle = 2000;
  CHECK(share(a, back).busy() == 0);
  CpuTicks io = a;
  io.iowait = 10;
  CpuTicks later = io;
  later.iowait = 5, later.user += 50, later.idle += 50;  // iowait went back: counts as none of it
  CHECK(share(io, later).user == Approx(50));
}

TEST_CASE("diff() pairs CPUs by id and turns counters into per-second rates", "[machine]") {
  MachineSample a, b;
  a.taken_ns = 1'000'000'000, b.taken_ns = 3'000'000'000;  // two seconds
  a.ctxt = 1000, b.ctxt = 5000;
  a.forks = 10, b.forks = 30;
  a.cpu_ids = {0, 1, 2};
  a.cpus = {ticks(0, 0, 0), ticks(0, 0, 0), ticks(0, 0, 0)};
  b.cpu_ids = {0, 2};  // CPU 1 went offline
  b.cpus = {ticks(100, 0, 100), ticks(0, 0, 200)};
  const MachineRates r = diff(a, b);
  CHECK(r.seconds == Approx(2));
  CHECK(r.ctxt_ps == Approx(2000));
  CHECK(r.forks_ps == Approx(10));
  REQUIRE(r.cpus.size() == 2);
  CHECK(r.cpu_ids == std::vector<int32_t>{0, 2});
  CHECK(r.cpus[0].user == Approx(50));
  CHECK(r.cpus[1].busy() == 0);
  CHECK(diff(b, a).cpus.empty());  // not later: no rates
}

TEST_CASE("mem_used() is what free(1) calls used", "[machine]") {
  MachineSample m;
  m.mem_total = 1000, m.mem_free = 300, m.mem_buffers = 100, m.mem_cached = 200;
  CHECK(m.mem_used() == 400);
  m.mem_cached = 900;
  CHECK(m.mem_used() == 0);
}
