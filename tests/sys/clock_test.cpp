// clock_test.cpp: the clocks, and the boot instant against the kernel's own btime.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "sys/clock.h"

TEST_CASE("boot_time_unix_ns agrees with /proc/stat's btime to the second", "[sys][clock]") {
  std::ifstream stat("/proc/stat");
  std::string key;
  uint64_t btime = 0;
  while (stat >> key)
    if (key == "btime" && stat >> btime) break;
  REQUIRE(btime > 0);
  const uint64_t boot = ts::sys::boot_time_unix_ns();
  // btime is truncated to whole seconds; NTP slewing moves the derived instant a little.
  CHECK(boot / 1000000000ull + 2 >= btime);
  CHECK(boot / 1000000000ull <= btime + 2);
}

TEST_CASE("the clocks move forward and keep their order", "[sys][clock]") {
  const uint64_t m0 = ts::sys::monotonic_ns(), b0 = ts::sys::boottime_ns();
  const uint64_t m1 = ts::sys::monotonic_ns(), b1 = ts::sys::boottime_ns();
  CHECK(m1 >= m0);
  CHECK(b1 >= b0);
  CHECK(b0 >= m0);  // boot time includes suspend, monotonic does not
  CHECK(ts::sys::realtime_ns() > 1600000000ull * 1000000000ull);
}

TEST_CASE("thread and process CPU clocks count this thread's work exactly; a gone pid reads 0", "[sys][clock]") {
  const uint64_t t0 = ts::sys::thread_cpu_ns(), p0 = ts::sys::process_cpu_ns(getpid());
  volatile uint64_t x = 0;
  while (ts::sys::thread_cpu_ns() - t0 < 20'000'000) x = x + 1;  // 20 ms of this thread's CPU
  const uint64_t t1 = ts::sys::thread_cpu_ns(), p1 = ts::sys::process_cpu_ns(getpid());
  CHECK(t1 - t0 >= 20'000'000);
  // The process counts this thread's work (and its other threads'), read a moment apart: within 1 ms.
  CHECK(p1 - p0 + 1'000'000 >= t1 - t0);
  CHECK(p1 + 1'000'000 >= t1);
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  CHECK(ts::sys::process_cpu_ns(child) == 0);
}
