// symbol_cache.cpp: ProcSymbols per goro process.
#include "view/symbol_cache.h"

#include "sym/goro_names.h"

namespace ts::view {

std::string SymbolCache::name(int32_t pid, uint64_t pc) {
  auto& p = procs_[pid];
  if (!p) p = std::make_unique<sym::ProcSymbols>(pid);
  if (!p->ok() || !pc) return "";
  const sym::Site& s = p->lookup(pc);
  return s.function.empty() ? "" : sym::g_function_name(s);
}

void SymbolCache::retain(const Frame& f) {
  std::erase_if(procs_, [&](const auto& kv) { return !f.goro.count(kv.first); });
}

}  // namespace ts::view
