// maps_test_util.h: what the `taskscope maps` tests share: running the CLI in-process and reading
// its NDJSON back.
#pragma once
#include <catch2/catch.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "registry.h"

namespace ts::test {

// CliResult is what one in-process run of taskscope left behind.
struct CliResult {
  int status;
  std::string out, err;
};

// cli() runs `taskscope ARGS...` in this process (tools::run_cli) and captures its streams.
inline CliResult cli(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"taskscope"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  tools::Context ctx{out, err};
  const int rc = tools::run_cli(static_cast<int>(argv.size()), argv.data(), ctx);
  return {rc, out.str(), err.str()};
}

// addr() reads a hex address string ("0x7f...") of the JSON output.
inline uint64_t addr(const nlohmann::json& j) { return std::stoull(j.get<std::string>(), nullptr, 16); }

// segment_at() is the segment object holding address a (fails the test when none does).
inline const nlohmann::json& segment_at(const std::vector<nlohmann::json>& segs, uint64_t a) {
  for (const nlohmann::json& s : segs)
    if (addr(s["start"]) <= a && a < addr(s["end"])) return s;
  FAIL("no segment holds " << std::hex << a);
  throw;
}

// MapsJson is `maps --json` read back: the segment objects in order, then the summary.
struct MapsJson {
  std::vector<nlohmann::json> segments;
  nlohmann::json summary;
};

// parse_maps_json() splits NDJSON into segments and the summary, checking that every line is one
// JSON object and that the summary comes last.
inline MapsJson parse_maps_json(const std::string& out) {
  MapsJson m;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    REQUIRE(m.summary.is_null());
    if (j["type"] == "segment") m.segments.push_back(j);
    else m.summary = j;
  }
  REQUIRE(m.summary["type"] == "summary");
  return m;
}

}  // namespace ts::test
