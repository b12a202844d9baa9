// go_traceback.cpp: Go's own traceback wording (runtime/traceback.go), for what is read from outside.
#include "gort/go_traceback.h"

#include <charconv>

#include "format/units.h"

namespace ts::gort {

int go_minor(std::string_view v) {
  if (!v.starts_with("go1.")) return -1;
  int minor = -1;
  const auto r = std::from_chars(v.data() + 4, v.data() + v.size(), minor);
  return r.ec == std::errc() ? minor : -1;
}

std::string go_created_by(const dwarf::Site& gopc, uint64_t goid, uint64_t parent_goid, std::string_view go_version) {
  if (goid == 1 || gopc.pc == 0 || gopc.function.empty()) return {};
  std::string out = "created by " + gopc.function;
  if (parent_goid && go_minor(go_version) >= 21) out += " in goroutine " + std::to_string(parent_goid);
  out += "\n\t";
  out += gopc.file.empty() ? std::string("?") : gopc.file;
  out += ":" + std::to_string(gopc.file.empty() ? 0 : gopc.line);
  if (gopc.offset) out += " +" + hex(gopc.offset);
  out += '\n';
  return out;
}

}  // namespace ts::gort
