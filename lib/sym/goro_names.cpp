// goro_names.cpp: a G's function name from g_trampoline<Fn>.
#include "sym/goro_names.h"

namespace ts::sym {

std::string g_function_name(const Site& s) {
  if (s.function.empty()) return describe(s);
  const std::string& f = s.function;
  const auto t = f.find("g_trampoline<");
  if (t != std::string::npos) {
    const auto open = t + std::string_view("g_trampoline<").size();
    int depth = 1;
    for (size_t i = open; i < f.size(); ++i) {
      if (f[i] == '<') ++depth;
      else if (f[i] == '>' && --depth == 0) return f.substr(open, i - open);
    }
  }
  return short_function(f);
}

}  // namespace ts::sym
