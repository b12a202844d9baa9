// ndjson.h: the one way taskscope writes a JSON object as a line of NDJSON.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace ts {

// json_line() dumps `j` compactly on one line (no newline added). Strings keep their bytes exactly
// (JSON escapes control characters as \uXXXX itself), except bytes that are not valid UTF-8, which
// JSON cannot carry: each becomes U+FFFD. Names and argv come from other processes, so invalid
// UTF-8 must not abort the output.
std::string json_line(const nlohmann::json& j);

}  // namespace ts
