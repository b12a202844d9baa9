// ndjson.cpp: one JSON object per line.
#include "format/ndjson.h"

namespace ts {

std::string json_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ts
