// go_wait.cpp: Go's G/P statuses and waitReason strings -> the G/M/P model.
#include "gort/go_wait.h"

#include <array>
#include <utility>

namespace ts::gort {

GoState go_gstate(uint32_t status) {
  switch (status & ~kGoScanBit) {
    case 0: return {GState::Idle, nullptr, true};
    case 1: return {GState::Runnable, nullptr, true};
    case 2: return {GState::Running, nullptr, true};
    case 3: return {GState::Syscall, nullptr, true};
    case 4: return {GState::Waiting, nullptr, true};
    case 6: return {GState::Dead, nullptr, true};
    case 8: return {GState::Waiting, "copystack", true};  // its stack is being moved: not running, on no queue
    case 9: return {GState::Waiting, "preempted", true};  // stopped for suspendG: like waiting
    default: return {};
  }
}

bool go_pstatus(uint32_t status, PStatus* out) {
  switch (status) {
    case 0: *out = PStatus::Idle; return true;
    case 1: *out = PStatus::Running; return true;
    case 2: *out = PStatus::Syscall; return true;
    case 3: *out = PStatus::Idle; return true;
    case 4: *out = PStatus::Dead; return true;
    default: return false;
  }
}

WaitReason go_wait_reason(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, WaitReason>, 13> kMap{{
      {"chan receive", WaitReason::ChanRecv},
      {"chan send", WaitReason::ChanSend},
      {"chan receive (nil chan)", WaitReason::ChanRecvNil},
      {"chan send (nil chan)", WaitReason::ChanSendNil},
      {"select", WaitReason::Select},
      {"select (no cases)", WaitReason::SelectNoCases},
      {"sleep", WaitReason::Sleep},
      {"IO wait", WaitReason::IO},
      {"sync.Mutex.Lock", WaitReason::Mutex},
      {"sync.Cond.Wait", WaitReason::Cond},
      {"sync.WaitGroup.Wait", WaitReason::WaitGroup},
      {"preempted", WaitReason::Preempted},
      {"timer goroutine (idle)", WaitReason::Timer},
  }};
  for (const auto& [t, r] : kMap)
    if (t == text) return r;
  return WaitReason::None;
}

}  // namespace ts::gort
