// clock.h: the clocks taskscope reads, in nanoseconds, and the boot instant they imply.
#pragma once
#include <cstdint>

namespace ts::sys {

// monotonic_ns() is CLOCK_MONOTONIC in nanoseconds: for intervals, deadlines and the time stamps
// BPF programs take (bpf_ktime_get_ns is the same clock).
uint64_t monotonic_ns();

// realtime_ns() is CLOCK_REALTIME (wall clock) in nanoseconds since the Unix epoch.
uint64_t realtime_ns();

// boottime_ns() is CLOCK_BOOTTIME in nanoseconds: monotonic time including suspend, the clock of
// a task's start time in /proc/PID/stat and in task_struct.
uint64_t boottime_ns();

// boot_time_unix_ns() is the wall-clock instant of boot (realtime - boottime): add a boot-relative
// start time to get a date. Exact to the nanosecond at the call, where /proc/stat's btime is whole
// seconds; it moves when the wall clock is set.
uint64_t boot_time_unix_ns();

// thread_cpu_ns() is the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) in nanoseconds:
// exact, where getrusage(2)'s is sampled at clock ticks.
uint64_t thread_cpu_ns();

// process_cpu_ns() is process `pid`'s CPU time in nanoseconds, every thread's including those that
// ended (clock_getcpuclockid(3)); 0 when it cannot be read (gone).
uint64_t process_cpu_ns(int32_t pid);

// ns_per_clock_tick() is the length of one USER_HZ clock tick (sysconf(_SC_CLK_TCK)), the unit of
// the times in /proc/PID/stat; 10 ms when sysconf cannot tell.
uint64_t ns_per_clock_tick();

}  // namespace ts::sys
