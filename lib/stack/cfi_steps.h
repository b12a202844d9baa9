// cfi_steps.h: one unwind step per code address, as libdw's CFI gives it (dwarf_cfi_addrframe,
// dwarf_frame_cfa, dwarf_frame_register), kept per address. libdwfl's own unwinder asks libdw for
// the frame of every pc of every thread again (with a malloc per register rule); a hundred threads
// parked in the same code share a few dozen addresses, so the rules are read once each and applied
// to each thread's registers here. Only the plain rules are applied (CFA = register + offset;
// a register undefined, unchanged, saved at CFA + n, or equal to CFA + n): anything else (a DWARF
// expression, a signal frame, no CFI, which libdwfl then unwinds by frame pointers) is left to
// libdwfl, which then unwinds the whole unit (unwind.h).
#pragma once
#include <cstdint>
#include <unordered_map>

#include "stack/capture.h"

struct Dwfl;

namespace ts::stack {

// CfiStep is how the caller's registers follow from a frame's at one code address.
struct CfiStep {
  // Rule is one register's: Undefined (unknown in the caller; for the return address: the
  // outermost frame), Same (unchanged), At (saved at CFA + off), Val (equal to CFA + off).
  enum class Rule : uint8_t { Undefined, Same, At, Val };
  bool plain = false;          // every rule is one of the above: step() may apply it
  int cfa_reg = 0;             // CFA = regs[cfa_reg] + cfa_off
  int64_t cfa_off = 0;
  int ra = kDwarfPc;           // the return-address column
  Rule rule[kDwarfRegs] = {};
  int64_t off[kDwarfRegs] = {};
};

// StepResult is what applying a step gave.
enum class StepResult {
  Caller,     // `regs` now hold the caller's registers, its pc known and not 0
  Outermost,  // the return address is undefined: the frame was the outermost one
  Unknown,    // a rule or register was missing: leave this unit to libdwfl
};

// CfiSteps reads and keeps the steps of one process's modules (reported in `dwfl`).
class CfiSteps {
 public:
  explicit CfiSteps(Dwfl* dwfl) : dwfl_(dwfl) {}

  // at() is the step for code address `pc` (already the address looked up: pc - 1 for a return
  // address), read from .eh_frame, else .debug_frame, as libdwfl tries them; read once per pc.
  const CfiStep& at(uint64_t pc);

  // ReadWord reads 8 bytes of the target at an address; false when they cannot be read.
  using ReadWord = bool (*)(uint64_t addr, uint64_t* out, void* arg);

  // step() applies `s` to `regs` (the callee's), reading saved registers with `read`.
  static StepResult step(const CfiStep& s, Regs& regs, ReadWord read, void* arg);

 private:
  Dwfl* dwfl_;
  std::unordered_map<uint64_t, CfiStep> steps_;
};

}  // namespace ts::stack
