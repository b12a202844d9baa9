// retention.h: Retention, how much history a recording keeps (--retain DURATION|SIZE), and its
// parser.
#pragma once
#include <cstdint>
#include <string>

namespace ts::history {

// Retention bounds a recording; 0 means no bound of that kind.
struct Retention {
  uint64_t max_age_ns = 0;  // samples older than the newest by more than this are dropped
  uint64_t max_bytes = 0;   // the oldest samples are dropped while the data is larger
};

// parse_retention() reads "30m", "12h", "7d" (a duration: s, m, h, d, w) or "500M", "2G" (a size:
// K, M, G, T, powers of 1024; a bare number is bytes). Throws ts::Error (status 2) naming `flag`.
Retention parse_retention(const std::string& text, const std::string& flag = "--retain");

}  // namespace ts::history
