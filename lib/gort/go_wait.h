// go_wait.h: a Go program's G and P states and wait reasons, in the model's terms.
#pragma once
#include <cstdint>
#include <string_view>

#include "model/gmp.h"

namespace ts::gort {

// kGoScanBit is _Gscan, ORed into a G's status while the GC owns its stack.
constexpr uint32_t kGoScanBit = 0x1000;

// GoState is a G's runtime status (_Gidle .. _Gpreempted, runtime2.go, unchanged 1.19 to 1.23)
// seen through the model: the state, and Go's own word for the two states the model folds into
// Waiting ("copystack", "preempted"; nullptr otherwise).
struct GoState {
  GState state = GState::Idle;
  const char* go_word = nullptr;
  bool known = false;  // false: not a status Go defines (a torn read)
};

// go_gstate() maps a raw g.atomicstatus (scan bit included) to the model.
GoState go_gstate(uint32_t status);

// go_pstatus() maps p.status (_Pidle 0, _Prunning 1, _Psyscall 2, _Pgcstop 3, _Pdead 4); a P
// stopped for the GC counts as Idle; false for a value Go does not define.
bool go_pstatus(uint32_t status, PStatus* out);

// go_wait_reason() maps Go's waitReason string (the program's own runtime.waitReasonStrings, so
// numbering changes between versions do not matter) to the model's WaitReason; None for the ones
// the model has no value for (semacquire, GC waits: GoroG::wait_text keeps Go's words).
WaitReason go_wait_reason(std::string_view text);

}  // namespace ts::gort
