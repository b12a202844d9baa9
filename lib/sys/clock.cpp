// clock.cpp: clock_gettime(2) in nanoseconds.
#include "sys/clock.h"

#include <time.h>
#include <unistd.h>

namespace ts::sys {

namespace {

uint64_t read_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

uint64_t monotonic_ns() { return read_ns(CLOCK_MONOTONIC); }

uint64_t realtime_ns() { return read_ns(CLOCK_REALTIME); }

uint64_t boottime_ns() { return read_ns(CLOCK_BOOTTIME); }

uint64_t boot_time_unix_ns() { return realtime_ns() - boottime_ns(); }

uint64_t thread_cpu_ns() { return read_ns(CLOCK_THREAD_CPUTIME_ID); }

uint64_t process_cpu_ns(int32_t pid) {
  clockid_t id;
  timespec ts{};
  if (clock_getcpuclockid(pid, &id) != 0 || clock_gettime(id, &ts) != 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t ns_per_clock_tick() {
  static const uint64_t ns = [] {
    const long hz = sysconf(_SC_CLK_TCK);
    return 1000000000ull / static_cast<uint64_t>(hz > 0 ? hz : 100);
  }();
  return ns;
}

}  // namespace ts::sys
