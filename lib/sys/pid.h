// pid.h: reading pids from a command line, and asking whether one is alive.
//
// One parser for every subcommand: a pid is decimal (leading zeros allowed, "010" is 10, never
// octal; "0x10" is not a pid), positive, and fits in 32 bits. An empty list is a usage error,
// never "every process": `-p "$(pidof x)"` with x not running must not list the machine.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ts::sys {

// parse_pid() reads one pid given as `what` (a flag or an argument name: "-p", "PID"). Accepts
// decimal digits only, value 1..2147483647. Throws ts::Error (status 2) naming `what` and the text
// otherwise.
int32_t parse_pid(std::string_view text, std::string_view what);

// parse_pid_list() reads the values of a repeatable pid-list flag, as ps(1) takes them: each value
// holds pids separated by commas and/or blanks ("1,2", "1 2", "1, 2"); several values add up.
// Throws ts::Error (status 2) naming `flag` for a bad pid, an empty element ("1,,2") or when no pid
// is given at all. Order is kept; duplicates are kept.
std::vector<int32_t> parse_pid_list(const std::vector<std::string>& values, std::string_view flag);

// pid_alive() tells whether a task with this id exists now (kill(pid, 0): EPERM counts as alive).
bool pid_alive(int32_t pid);

// task_total() is how many tasks (threads, kernel threads and zombies not yet reaped, in every pid
// namespace) the kernel has now: its nr_threads, the total of /proc/loadavg's "running/total".
// 0 when it cannot be read. Cheap (one pread of a file kept open) and safe from any thread.
uint64_t task_total();

// loadavg_total() is the total of "running/total", the fourth field of /proc/loadavg's text
// ("0.52 0.58 0.59 2/532 12345"); 0 when the text is not of that form.
uint64_t loadavg_total(std::string_view text);

}  // namespace ts::sys
