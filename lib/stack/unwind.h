// unwind.h: turning captured registers and stack copies into call chains, with libdwfl's
// thread callbacks serving memory from the copies (the target runs meanwhile). libdwfl tries
// .eh_frame, then .debug_frame, then frame pointers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "stack/capture.h"

struct Dwfl;

namespace ts::stack {

// Unit is one thing to unwind: a thread, or a parked goroutine (a pseudo-thread).
struct Unit {
  int32_t id = 0;              // a tid, or a made-up id above any tid for a goroutine
  const Regs* regs = nullptr;
  const StackCopy* stack = nullptr;
  bool live_reads = false;     // reads outside the copy may go to the live process (threads)
  bool first_is_return = false;  // the first pc is a return address (a parked G's)
};

// PhysFrame is one physical frame: its pc and whether pc is the current instruction (the
// innermost frame, or a signal frame) rather than a return address.
struct PhysFrame {
  uint64_t pc = 0;
  bool activation = false;
};

// UnwindResult is one unit's chain.
struct UnwindResult {
  std::vector<PhysFrame> frames;  // innermost first
  bool complete = false;          // reached the outermost frame (no error cut it)
  std::string error;              // libdwfl's reason when !complete
};

// unwind_units() unwinds every unit over `dwfl` (modules already reported, see
// dwarf::Symbolizer::dwfl()), reading pid's memory only as `live_reads` allows. The Dwfl can
// be given threads once: later calls on the same Dwfl reuse the first call's unit list, so pass
// every unit at once, or call again with the same vector after changing units' copies.
class Unwinder {
 public:
  // Unwinder() attaches to `dwfl` for pid; ok() is false when libdwfl refused. With
  // cached_steps (cfi_steps.h) a unit whose every frame has a plain CFI rule is unwound by those
  // rules, read once per address; any other unit, or every unit without it, by libdwfl. Both
  // give the same frames (stack_unwind_test compares them).
  Unwinder(Dwfl* dwfl, int32_t pid, bool cached_steps = true);
  ~Unwinder();
  Unwinder(const Unwinder&) = delete;
  Unwinder& operator=(const Unwinder&) = delete;

  // ok() tells whether units can be unwound.
  bool ok() const { return ok_; }
  // error() says why not.
  const std::string& error() const { return error_; }
  // unwind() unwinds one unit, at most max_frames deep.
  UnwindResult unwind(const Unit& u, size_t max_frames);
  // stepped() is how many units so far were unwound by cached steps alone (not by libdwfl).
  size_t stepped() const { return stepped_; }

  struct State;

 private:
  // unwind_by_steps() unwinds u by cached CFI steps into r; false (r half filled) when a step was
  // not plain.
  bool unwind_by_steps(const Unit& u, size_t max, UnwindResult& r);

  Dwfl* dwfl_;
  State* state_;
  bool cached_steps_;
  size_t stepped_ = 0;
  bool ok_ = false;
  std::string error_;
};

}  // namespace ts::stack
