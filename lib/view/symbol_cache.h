// symbol_cache.h: SymbolCache, the function names top shows for goro Gs: one ProcSymbols (lib/sym)
// per goro process, kept while the process publishes its state, dropped when it is gone.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "sym/proc_symbols.h"
#include "view/frame.h"

namespace ts::view {

// SymbolCache names code addresses of goro processes. Not thread-safe (the UI thread's).
class SymbolCache {
 public:
  // name() is the G function at `pc` in `pid` (the user's function inside goro's trampoline),
  // "" when unknown. The first call for a pid reads its modules (libdwfl).
  std::string name(int32_t pid, uint64_t pc);
  // retain() drops the processes the frame no longer shows as goro (their pids may be reused).
  void retain(const Frame& f);

 private:
  std::map<int32_t, std::unique_ptr<sym::ProcSymbols>> procs_;
};

}  // namespace ts::view
