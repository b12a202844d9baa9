// time_spec.cpp: --at's forms.
#include "history/time_spec.h"

#include <charconv>
#include <cstdio>
#include <ctime>

#include "model/error.h"

namespace ts::history {

namespace {

constexpr uint64_t kSec = 1'000'000'000;

// duration_ns() reads "90s", "5m", "2h", "1d" (a bare number: seconds); false when malformed.
bool duration_ns(const std::string& s, uint64_t& out) {
  uint64_t n = 0;
  const char* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, n);
  if (ec != std::errc() || p == s.data() || n > 10'000'000'000ull) return false;
  const std::string unit(p, end);
  uint64_t mul = 0;
  if (unit.empty() || unit == "s") mul = 1;
  else if (unit == "m") mul = 60;
  else if (unit == "h") mul = 3600;
  else if (unit == "d") mul = 86400;
  else return false;
  out = n * mul * kSec;
  return true;
}

// clock_time() reads "HH:MM[:SS]" as seconds into a day; false when malformed.
bool clock_time(const std::string& s, int64_t& out) {
  int h = 0, m = 0, sec = 0, used = 0;
  if (std::sscanf(s.c_str(), "%2d:%2d%n", &h, &m, &used) != 2) return false;
  if (static_cast<size_t>(used) != s.size()) {
    int used2 = 0;
    if (std::sscanf(s.c_str() + used, ":%2d%n", &sec, &used2) != 1 || static_cast<size_t>(used + used2) != s.size()) return false;
  }
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60) return false;
  out = h * 3600 + m * 60 + sec;
  return true;
}

}  // namespace

uint64_t parse_time(const std::string& text, uint64_t first_ns, uint64_t last_ns, const std::string& flag) {
  const Error bad(flag + " " + text +
                      ": expected start, end, -DURATION (before the end: -5m), +DURATION, @UNIXSECONDS, "
                      "YYYY-MM-DD HH:MM[:SS] or HH:MM[:SS] (UTC)",
                  2);
  if (text == "start") return first_ns;
  if (text == "end") return last_ns;
  uint64_t d = 0;
  if (!text.empty() && text[0] == '-') {
    if (!duration_ns(text.substr(1), d)) throw bad;
    return d > last_ns ? 0 : last_ns - d;
  }
  if (!text.empty() && text[0] == '+') {
    if (!duration_ns(text.substr(1), d)) throw bad;
    return first_ns + d;
  }
  if (!text.empty() && text[0] == '@') {
    uint64_t s = 0;
    const char* end = text.data() + text.size();
    const auto [p, ec] = std::from_chars(text.data() + 1, end, s);
    if (ec != std::errc() || p != end || s > 100'000'000'000ull) throw bad;
    return s * kSec;
  }
  int64_t tod = 0;
  if (clock_time(text, tod)) {
    const int64_t day = static_cast<int64_t>(last_ns / kSec) / 86400 * 86400;
    return static_cast<uint64_t>(day + tod) * kSec;
  }
  int y = 0, mo = 0, dd = 0, used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &dd, &used) != 3 || static_cast<size_t>(used) >= text.size() ||
      (text[static_cast<size_t>(used)] != ' ' && text[static_cast<size_t>(used)] != 'T') ||
      !clock_time(text.substr(static_cast<size_t>(used) + 1), tod) || y < 1970 || mo < 1 || mo > 12 || dd < 1 || dd > 31)
    throw bad;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = dd;
  const time_t day = timegm(&tm);
  if (day < 0) throw bad;
  return (static_cast<uint64_t>(day) + static_cast<uint64_t>(tod)) * kSec;
}

std::string format_time(uint64_t wall_ns) {
  const time_t s = static_cast<time_t>(wall_ns / kSec);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace ts::history
