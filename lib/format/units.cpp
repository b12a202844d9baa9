// units.cpp: formatting of sizes, durations and times.
#include "format/units.h"

#include <charconv>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace ts {

std::string strprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list again;
  va_copy(again, ap);
  const int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  std::string s(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  std::vsnprintf(s.data(), s.size() + 1, fmt, again);
  va_end(again);
  return s;
}

std::string human_bytes(uint64_t bytes) {
  static const char* const units[] = {"", "K", "M", "G", "T", "P"};
  if (bytes < 1024) return std::to_string(bytes);
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) { v /= 1024; ++u; }
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.1f%s" : "%.0f%s", v, units[u]);
  return buf;
}

std::string kib(uint64_t bytes) { return std::to_string((bytes + 1023) / 1024); }

std::string cpu_time(uint64_t ns) {
  uint64_t s = ns / UINT64_C(1000000000);
  const uint64_t days = s / 86400;
  s %= 86400;
  char buf[48];
  if (days)
    std::snprintf(buf, sizeof buf, "%" PRIu64 "-%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, days, s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600, s / 60 % 60, s % 60);
  return buf;
}

std::string cpu_time_plus(uint64_t ns) {
  const uint64_t cs = ns / 10000000;  // hundredths of a second
  const uint64_t s = cs / 100, h = s / 3600;
  char buf[48];
  if (h == 0) std::snprintf(buf, sizeof buf, "%" PRIu64 ":%02" PRIu64 ".%02" PRIu64, s / 60, s % 60, cs % 100);
  else if (h < 100) std::snprintf(buf, sizeof buf, "%" PRIu64 "h%02" PRIu64 ":%02" PRIu64, h, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%" PRIu64 "h", h);
  return buf;
}

std::string per_second(double r) {
  char buf[32];
  if (r >= 1e6) std::snprintf(buf, sizeof buf, "%.1fM", r / 1e6);
  else if (r >= 1e4) std::snprintf(buf, sizeof buf, "%.1fk", r / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", r < 0 ? 0 : r);
  return buf;
}

std::string short_duration(uint64_t ns) {
  char buf[48];
  if (ns < 1000) std::snprintf(buf, sizeof buf, "%" PRIu64 "ns", ns);
  else if (ns < 1000000) std::snprintf(buf, sizeof buf, "%.1fus", ns / 1e3);
  else if (ns < 1000000000) std::snprintf(buf, sizeof buf, "%.2fms", ns / 1e6);
  else if (ns < 60000000000ull) std::snprintf(buf, sizeof buf, "%.2fs", ns / 1e9);
  else std::snprintf(buf, sizeof buf, "%" PRIu64 "m%02" PRIu64 "s", static_cast<uint64_t>(ns / 60000000000ull), static_cast<uint64_t>(ns / 1000000000ull % 60));
  return buf;
}

std::string start_time(uint64_t start_ns, uint64_t boot_unix_ns, uint64_t now_unix_ns) {
  const time_t t = static_cast<time_t>((boot_unix_ns + start_ns) / 1000000000ull);
  const time_t now = static_cast<time_t>(now_unix_ns / 1000000000ull);
  // A table asks for many tasks started in the same second (a process's threads) against one
  // `now`: the last answer is kept rather than worked out again (two localtime_r and a strftime).
  thread_local time_t last_t = -1, last_now = -1;
  thread_local std::string last;
  if (t == last_t && now == last_now) return last;
  struct tm tm_t {}, tm_now {};
  localtime_r(&t, &tm_t);
  localtime_r(&now, &tm_now);
  char buf[32];
  const char* fmt = now - t < 86400 && tm_t.tm_yday == tm_now.tm_yday ? "%H:%M"
                    : tm_t.tm_year == tm_now.tm_year                 ? "%b%d"
                                                                      : "%Y";
  std::strftime(buf, sizeof buf, fmt, &tm_t);
  last_t = t;
  last_now = now;
  last = buf;
  return last;
}

std::string hex(uint64_t v) {
  char buf[24] = {'0', 'x'};
  return std::string(buf, static_cast<size_t>(std::to_chars(buf + 2, buf + sizeof buf, v, 16).ptr - buf));
}

}  // namespace ts
