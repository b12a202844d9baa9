// cfi_steps.cpp: per-address unwind steps from libdw's CFI; see cfi_steps.h.
#include "stack/cfi_steps.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <cstdlib>

namespace ts::stack {
namespace {

// read_rules() fills s from libdw's frame at `at` (a CFI address); false when a rule is not plain.
// The rules come as libdw's DWARF expressions, decoded as libdwfl's own unwinder reads them: no
// operations and ops == ops_mem is undefined, ops == nullptr unchanged, else an expression over
// DW_OP_call_frame_cfa (with DW_OP_stack_value: a value, without: where it is saved).
bool read_rules(Dwarf_Frame* frame, CfiStep& s) {
  bool signal = false;
  const int ra = dwarf_frame_info(frame, nullptr, nullptr, &signal);
  if (ra != kDwarfPc || signal) return false;
  s.ra = ra;
  Dwarf_Op* cfa = nullptr;
  size_t ncfa = 0;
  if (dwarf_frame_cfa(frame, &cfa, &ncfa) != 0 || ncfa != 1 || cfa[0].atom != DW_OP_bregx ||
      cfa[0].number >= static_cast<Dwarf_Word>(kDwarfRegs))
    return false;
  s.cfa_reg = static_cast<int>(cfa[0].number);
  s.cfa_off = static_cast<int64_t>(cfa[0].number2);
  for (int r = 0; r < kDwarfRegs; ++r) {
    Dwarf_Op mem[3];
    Dwarf_Op* ops = nullptr;
    size_t n = 0;
    if (dwarf_frame_register(frame, r, mem, &ops, &n) != 0) return false;
    if (n == 0) {
      if (ops == mem) s.rule[r] = CfiStep::Rule::Undefined;
      else if (ops == nullptr) s.rule[r] = CfiStep::Rule::Same;
      else return false;
      continue;
    }
    if (ops[0].atom != DW_OP_call_frame_cfa) return false;
    size_t i = 1;
    s.off[r] = 0;
    if (i < n && ops[i].atom == DW_OP_plus_uconst) s.off[r] = static_cast<int64_t>(ops[i++].number);
    s.rule[r] = CfiStep::Rule::At;
    if (i < n && ops[i].atom == DW_OP_stack_value) {
      s.rule[r] = CfiStep::Rule::Val;
      ++i;
    }
    if (i != n) return false;
  }
  return true;
}

// frame_at() is libdw's frame for process address `pc` in `cfi` (whose addresses are the
// process's minus `bias`), or nullptr (free() it).
Dwarf_Frame* frame_at(Dwarf_CFI* cfi, Dwarf_Addr bias, Dwarf_Addr pc) {
  Dwarf_Frame* f = nullptr;
  return cfi && dwarf_cfi_addrframe(cfi, pc - bias, &f) == 0 ? f : nullptr;
}

}  // namespace

const CfiStep& CfiSteps::at(uint64_t pc) {
  const auto [it, fresh] = steps_.try_emplace(pc);
  if (!fresh) return it->second;
  Dwfl_Module* mod = dwfl_ ? dwfl_addrmodule(dwfl_, pc) : nullptr;
  if (!mod) return it->second;
  // .eh_frame first, then .debug_frame, as libdwfl's unwinder (which, with neither, tries frame
  // pointers: a step that is not plain here).
  Dwarf_Addr bias = 0;
  Dwarf_CFI* cfi = dwfl_module_eh_cfi(mod, &bias);  // sets bias: called before frame_at reads it
  Dwarf_Frame* f = frame_at(cfi, bias, pc);
  if (!f) {
    cfi = dwfl_module_dwarf_cfi(mod, &bias);
    f = frame_at(cfi, bias, pc);
  }
  if (f) {
    it->second.plain = read_rules(f, it->second);
    std::free(f);
  }
  return it->second;
}

StepResult CfiSteps::step(const CfiStep& s, Regs& regs, ReadWord read, void* arg) {
  if (!s.plain || !regs.has(s.cfa_reg)) return StepResult::Unknown;
  const uint64_t cfa = regs.r[s.cfa_reg] + static_cast<uint64_t>(s.cfa_off);
  Regs caller;
  for (int r = 0; r < kDwarfRegs; ++r) {
    const uint64_t where = cfa + static_cast<uint64_t>(s.off[r]);
    uint64_t v = 0;
    switch (s.rule[r]) {
      case CfiStep::Rule::Undefined:
        if (r == s.ra) return StepResult::Outermost;
        break;
      case CfiStep::Rule::Same:
        if (regs.has(r)) caller.set(r, regs.r[r]);
        break;
      case CfiStep::Rule::At:
        if (read(where, &v, arg)) caller.set(r, v);
        break;
      case CfiStep::Rule::Val:
        caller.set(r, where);
        break;
    }
  }
  // A return address that could not be read, or is 0, ends libdwfl's unwind in ways of its own.
  if (!caller.has(s.ra) || caller.r[s.ra] == 0) return StepResult::Unknown;
  regs = caller;
  return StepResult::Caller;
}

}  // namespace ts::stack
