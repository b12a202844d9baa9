// go_stacks.h: the goroutines of an unmodified Go program, ready to print: the second source of a
// dump's G stacks (goro_stacks.h is the first). Gs and their saved contexts come from lib/gort's
// reader (runtime.allgs, fields by DWARF name, process_vm_readv without a stop).
// A parked G is walked from g.sched (sp, pc, bp) by frame pointers, which Go keeps on amd64; a G
// with no saved frame pointer (one in a system call: Go before 1.23 saves none there; one that never
// ran) is left to libdwfl, which reads the binary's CFI (.debug_frame). Every address is checked
// against the G's stack bounds and the target's maps: the memory is untrusted and changes under us.
#pragma once
#include <cstdint>
#include <string>

#include "stack/goro_stacks.h"

struct Dwfl;

namespace ts::stack {

// walk_frame_pointers() walks a Go G's frame-pointer chain over `stack` (a copy of its used stack)
// from pc and bp, at most max_frames: each saved bp must lie in the copy, 8-aligned, above the
// previous one, and each return address in code (maps). complete = true when the chain ends with a
// zero bp (the G's first frame, under runtime.goexit); otherwise error says where it broke.
UnwindResult walk_frame_pointers(uint64_t pc, uint64_t bp, const StackCopy& stack, const Maps& maps, size_t max_frames);

// read_go_gs() reads the Gs of pid when it is a Go program (present = false otherwise): every live
// G, parked ones copied from `mem` (pid or a live thread of it) and walked or made ready for
// libdwfl, re-read until their records hold still (settle()). A binary without symbols or DWARF
// gives error, one line that says what is missing and that the LWP stacks are still shown.
// `dwfl` (may be null) is the dump's libdwfl session: the executable's DWARF it opens is the one
// the Go reader takes its layout from, so the executable is opened and inflated once, not twice.
GoroGs read_go_gs(int32_t pid, int32_t mem, const Maps& maps, size_t max_frames, Dwfl* dwfl = nullptr);

}  // namespace ts::stack
