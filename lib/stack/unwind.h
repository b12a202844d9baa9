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
  // Unwinder() attaches to `dwfl` for pid; ok() is false when libdwfl refused.
  Unwinder(Dwfl* dwfl, int32_t pid);
  ~Unwinder();
  Unwinder(const Unwinder&) = delete;
  Unwinder& operator=(const Unwinder&) = delete;

  // ok() tells whether units can be unwound.
  bool ok() const { return ok_; }
  // error() says why not.
  const std::string& error() const { return error_; }
  // unwind() unwinds one unit, at most max_frames deep.
  UnwindResult unwind(const Unit& u, size_t max_frames);

  struct State;

 private:
  Dwfl* dwfl_;
  State* state_;
  bool ok_ = false;
  std::string error_;
};

}  // namespace ts::stack
