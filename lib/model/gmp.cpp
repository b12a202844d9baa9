// gmp.cpp: names of goroutine states, wait reasons and P statuses, as Go spells them.
#include "model/gmp.h"

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
  switch (r) {
    case WaitReason::None: return "";
    case WaitReason::ChanRecv: return "chan receive";
    case WaitReason::ChanSend: return "chan send";
    case WaitReason::ChanRecvNil: return "chan receive (nil chan)";
    case WaitReason::ChanSendNil: return "chan send (nil chan)";
    case WaitReason::Select: return "select";
    case WaitReason::SelectNoCases: return "select (no cases)";
    case WaitReason::Sleep: return "sleep";
    case WaitReason::IO: return "IO wait";
    case WaitReason::Mutex: return "sync.Mutex.Lock";
    case WaitReason::Cond: return "sync.Cond.Wait";
    case WaitReason::WaitGroup: return "sync.WaitGroup.Wait";
    case WaitReason::Preempted: return "preempted";
    case WaitReason::Timer: return "timer goroutine (idle)";
  }
  return "?";
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

}  // namespace ts
