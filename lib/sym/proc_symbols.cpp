// proc_symbols.cpp: a per-address cache over base/dwarf's Symbolizer, and the short forms of sites.
#include "sym/proc_symbols.h"

#include "format/units.h"

namespace ts::sym {
namespace {

std::string base_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string short_function(const std::string& name) {
  std::string s = name;
  for (const char* q : {" const", " volatile", " &&", " &"})
    while (s.size() > std::string(q).size() && s.ends_with(q)) s.resize(s.size() - std::string(q).size());
  if (!s.ends_with(")")) return s;
  int depth = 0;
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] == ')') ++depth;
    else if (s[i] == '(' && --depth == 0) return i == 0 ? s : s.substr(0, i);
  }
  return s;
}

const Site& ProcSymbols::lookup(uint64_t pc, bool return_address) {
  // x86 code addresses may be odd: the flag goes beside the address, not into its low bit.
  const uint64_t key = pc << 1 | (return_address ? 1 : 0);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  return cache_.emplace(key, symbolizer_.lookup(pc, return_address && pc, dwarf_)).first->second;
}

std::string describe(const Site& s, std::string_view skip) {
  if (s.pc == 0) return "-";
  if (const Frame f = user_frame(s, skip); !f.file.empty() && f.line > 0) return base_name(f.file) + ":" + std::to_string(f.line);
  if (const Frame f = user_frame(s, skip); !f.function.empty()) return short_function(f.function) + "+" + hex(s.offset);
  if (!s.module.empty()) return s.module + "+" + hex(s.offset);
  return hex(s.pc);
}

}  // namespace ts::sym
