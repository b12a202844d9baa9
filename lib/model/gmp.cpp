// gmp.cpp: names of goroutine states, wait reasons and P statuses, as Go spells them.
#include "model/gmp.h"

#include <map>
#include <utility>

#include "goro/introspect_abi.h"

namespace ts {

const char* gstate_name(GState s) {
  switch (s) {
    case GState::Idle: return "idle";
    case GState::Runnable: return "runnable";
    case GState::Running: return "running";
    case GState::Syscall: return "syscall";
    case GState::Waiting: return "waiting";
    case GState::Dead: return "dead";
  }
  return "?";
}

const char* wait_reason_name(WaitReason r) {
  return goro_wait_reason_name(static_cast<uint32_t>(r));  // the enums agree (static_asserts in gmp.h)
}

std::string g_wait_text(const GoroG& g) {
  if (g.state != GState::Waiting) return {};
  return g.wait_text.empty() ? wait_reason_name(g.wait_reason) : g.wait_text;
}

const char* pstatus_name(PStatus s) {
  switch (s) {
    case PStatus::Idle: return "idle";
    case PStatus::Running: return "running";
    case PStatus::Syscall: return "syscall";
    case PStatus::Dead: return "dead";
  }
  return "?";
}

const GoroG* GoroSnapshot::find_g(uint64_t goid) const {
  for (const GoroG& g : gs)
    if (g.goid == goid) return &g;
  return nullptr;
}

std::vector<GCount> count_gs(const GoroSnapshot& g) {
  if (!g.g_counts.empty()) return g.g_counts;
  std::map<std::pair<GState, WaitReason>, uint64_t> by;
  for (const GoroG& x : g.gs) ++by[{x.state, x.state == GState::Waiting ? x.wait_reason : WaitReason::None}];
  std::vector<GCount> out;
  out.reserve(by.size());
  for (const auto& [k, n] : by) out.push_back({k.first, k.second, n});
  return out;
}

uint64_t g_total(const GoroSnapshot& g) {
  if (g.g_counts.empty()) return g.gs.size();
  uint64_t n = 0;
  for (const GCount& c : g.g_counts) n += c.n;
  return n;
}

}  // namespace ts
