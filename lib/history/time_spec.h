// time_spec.h: --at TIME, a moment in a recording.
#pragma once
#include <cstdint>
#include <string>

namespace ts::history {

// parse_time() turns `text` into Unix ns. Accepted: "start" and "end" (the recording's first and
// last samples, `first_ns` and `last_ns`); "-DURATION" before the end ("-90s", "-5m", "-2h");
// "+DURATION" after the start; "@SECONDS" (Unix time); "YYYY-MM-DD HH:MM[:SS]" or with a "T"; and
// "HH:MM[:SS]" on the day of the last sample. Dates and times of day are UTC, as atop and journalctl
// --utc print them. Throws ts::Error (status 2) naming `flag`.
uint64_t parse_time(const std::string& text, uint64_t first_ns, uint64_t last_ns, const std::string& flag = "--at");

// format_time() is `wall_ns` as "YYYY-MM-DD HH:MM:SS UTC".
std::string format_time(uint64_t wall_ns);

}  // namespace ts::history
