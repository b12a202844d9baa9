// clock_test.cpp: the clocks, and the boot instant against the kernel's own btime.
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
