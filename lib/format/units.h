// units.h: turning bytes, nanoseconds and times into the text users expect.
#pragma once
#include <cstdint>
#include <string>

namespace ts {

// strprintf() is printf into a std::string (any length).
std::string strprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// human_bytes() prints a size with a binary unit, three significant digits: "812", "4.0K", "12.5M", "1.9G".
std::string human_bytes(uint64_t bytes);

// kib() prints a size in KiB with no unit, as ps's RSS column does.
std::string kib(uint64_t bytes);

// cpu_time() prints CPU time as ps's TIME column: "[DD-]HH:MM:SS".
std::string cpu_time(uint64_t ns);

// cpu_time_plus() prints CPU time as htop's TIME+ column: "M:SS.cc" (hundredths) under an hour,
// "HhMM:SS" under 100 hours, then "Hh" alone.
std::string cpu_time_plus(uint64_t ns);

// per_second() prints a rate: "0", "7", "950", "12.3k", "4.5M" (no unit; the column says "/s").
std::string per_second(double rate);

// short_duration() prints a duration with a unit that fits: "850ns", "12.3us", "4.56ms", "1.20s", "3m05s".
std::string short_duration(uint64_t ns);

// start_time() prints a boot-relative start time as ps's STIME: "HH:MM" today, "MonDD" this year, else the year.
// `boot_unix_ns` is the wall-clock boot time, `now_unix_ns` the current wall-clock time.
std::string start_time(uint64_t start_ns, uint64_t boot_unix_ns, uint64_t now_unix_ns);

// hex() prints a value as 0x-prefixed lower-case hex.
std::string hex(uint64_t v);

}  // namespace ts
