// goro_stacks.h: the parked goroutines of a goro process, ready to unwind: each G's published
// sp/pc/fp checked against its stack and the target's maps, and its used stack copied.
// The segment is untrusted: a G whose record does not hold together is kept with a note and no
// frames, never followed.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/gmp.h"
#include "stack/capture.h"

namespace ts::stack {

// ParkedG is one live G and, when parked, what its unwind starts from.
struct ParkedG {
  GoroG g;
  bool parked = false;         // has a saved context to unwind (runnable or waiting)
  Regs regs;                   // after goro_switch returns: rsp = sp+56, rip = [sp+48], callee-saved
  StackCopy stack;             // [sp, stack_hi)
  std::string note;            // why it is not unwound, "" when it is (or runs)
};

// GoroGs is what read_goro_gs() found.
struct GoroGs {
  bool present = false;        // the process publishes a goro segment
  std::string error;           // the segment could not be read (malformed, stale...): shown as a note
  GoroSnapshot snap;
  std::vector<ParkedG> gs;     // live Gs (not dead, not idle), by goid
};

// check_parked() validates a parked G's published context against its stack bounds, the arena
// and the maps; "" when it may be unwound, else the reason.
std::string check_parked(const GoroG& g, const GoroSnapshot& s, const Maps& maps);

// read_goro_gs() reads pid's goro segment (if any), checks every parked G and copies its stack
// from `mem` (pid, or a live thread of it); a G that ran while being copied is read again (up to
// 3 rounds), then left with a note.
GoroGs read_goro_gs(int32_t pid, int32_t mem, const Maps& maps);

}  // namespace ts::stack
