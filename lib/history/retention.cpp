// retention.cpp: --retain's value.
#include "history/retention.h"

#include <charconv>

#include "model/error.h"

namespace ts::history {

Retention parse_retention(const std::string& text, const std::string& flag) {
  uint64_t n = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, n);
  const std::string unit(p, end);
  const auto bad = [&] {
    return Error(flag + " " + text + ": expected a duration (30m, 12h, 7d, 2w) or a size (500M, 2G)", 2);
  };
  if (ec != std::errc() || p == text.data() || n == 0) throw bad();
  const auto mul = [&](uint64_t m) {
    if (n > UINT64_MAX / m) throw bad();
    return n * m;
  };
  Retention r;
  constexpr uint64_t s = 1'000'000'000;
  if (unit == "s") r.max_age_ns = mul(s);
  else if (unit == "m") r.max_age_ns = mul(60 * s);
  else if (unit == "h") r.max_age_ns = mul(3600 * s);
  else if (unit == "d") r.max_age_ns = mul(86400 * s);
  else if (unit == "w") r.max_age_ns = mul(7 * 86400 * s);
  else if (unit.empty() || unit == "B") r.max_bytes = n;
  else if (unit == "K") r.max_bytes = mul(uint64_t{1} << 10);
  else if (unit == "M") r.max_bytes = mul(uint64_t{1} << 20);
  else if (unit == "G") r.max_bytes = mul(uint64_t{1} << 30);
  else if (unit == "T") r.max_bytes = mul(uint64_t{1} << 40);
  else throw bad();
  if (r.max_bytes && r.max_bytes < (uint64_t{1} << 20)) throw Error(flag + " " + text + ": a size limit must be at least 1M", 2);
  return r;
}

}  // namespace ts::history
