// goro_stacks.h: the parked goroutines of a goro process, ready to unwind: each G's published
// sp/pc/fp checked against its stack and the target's maps, and its used stack copied.
// The segment is untrusted: a G whose record does not hold together is kept with a note and no
// frames, never followed.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "model/gmp.h"
#include "stack/capture.h"
#include "stack/unwind.h"

namespace ts::stack {

// ParkedG is one live G and, when parked, what its unwind starts from: registers and a stack copy
// for libdwfl (`parked`), or a chain already walked by frame pointers (`walked`, Go's Gs).
struct ParkedG {
  GoroG g;
  bool parked = false;         // has a saved context to unwind with libdwfl
  Regs regs;                   // goro: after goro_switch returns: rsp = sp+56, rip = [sp+48], callee-saved
  StackCopy stack;             // [sp, stack_hi)
  bool walked = false;         // `walk` holds its frames (Go: walked from g.sched by frame pointers)
  UnwindResult walk;
  std::string note;            // why it is not unwound, "" when it is (or runs)
};

// GoroGs is what a G source (read_goro_gs(), read_go_gs()) found: the "G stacks" of a dump.
struct GoroGs {
  bool present = false;        // the process has Gs to show (a goro segment, a Go runtime)
  std::string error;           // they could not be read (malformed segment, stripped Go binary...): a note
  GoroSnapshot snap;           // snap.runtime says which source: "goro", or "go1.19.8"
  std::vector<ParkedG> gs;     // live Gs (not dead, not idle), by goid
};

// check_stack() validates a G's saved sp and pc against its stack bounds and the maps: "" when
// [sp, stack_hi) (at least min_used bytes) is readable memory and pc is in code, else the reason.
std::string check_stack(const GoroG& g, const Maps& maps, uint64_t min_used);

// check_parked() validates a parked G's published context against its stack bounds, the arena
// and the maps; "" when it may be unwound, else the reason.
std::string check_parked(const GoroG& g, const GoroSnapshot& s, const Maps& maps);

// Preparer is how a G source readies one G: check(p) validates it and says which range of its
// stack to copy ({lo, hi}; lo == hi when there is nothing to copy: it runs, or its record does not
// hold together, and p.note says why); finish(p) loads or walks it once p.stack holds that range.
struct Preparer {
  std::function<std::pair<uint64_t, uint64_t>(ParkedG&)> check;
  std::function<void(ParkedG&)> finish;
};

// settle() fills out.gs with the live Gs of out.snap (not dead, not idle), by goid, and makes their
// stacks agree with their records: each G is checked, the stacks of up to IOV_MAX Gs are copied from
// `mem` together (copy_ranges()) and those Gs finished; then reread() reads the source again (a
// ts::Error it throws ends the rounds, keeping what was copied), and every copied G whose record
// changed meanwhile (state, sp, pc, fp) is prepared again from its new record, up to 3 rounds; one
// still changing gets a note, one gone a note saying so.
void settle(GoroGs& out, int32_t mem, const Preparer& prep, const std::function<GoroSnapshot()>& reread);

// read_goro_gs() reads pid's goro segment (if any), checks every parked G and copies its stack
// from `mem` (pid, or a live thread of it); a G that ran while being copied is read again (up to
// 3 rounds), then left with a note.
GoroGs read_goro_gs(int32_t pid, int32_t mem, const Maps& maps);

}  // namespace ts::stack
