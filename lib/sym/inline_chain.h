// inline_chain.h: the inline chain of a code address from DWARF (which inlined calls it lies in,
// and the source line executing in each), header-only so the goro runtime's in-process goroutine
// dump (runtime/src/debug.cpp) shares it with taskscope's ProcSymbols without linking lib/.
#pragma once
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <cstdlib>
#include <cxxabi.h>
#include <memory>
#include <string>
#include <vector>

#include "sym/proc_symbols.h"

namespace ts::sym {

namespace detail {

inline std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> d(abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return status == 0 && d ? std::string(d.get()) : std::string(name);
}

inline std::string die_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int at : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name})
    if (dwarf_attr_integrate(die, at, &attr))
      if (const char* n = dwarf_formstring(&attr)) return demangle(n);
  return "";
}

// find_scopes() appends the subprogram and inlined-subroutine DIEs holding `pc`, outermost first.
// Unlike dwarf_getscopes() it also looks inside functions that do not hold pc: GCC nests the
// out-of-line body of a local class's member (a lambda's operator()) inside the enclosing
// function's DIE, where dwarf_getscopes() never finds it.
inline bool find_scopes(Dwarf_Die* parent, Dwarf_Addr pc, std::vector<Dwarf_Die>& out, int depth = 0) {
  Dwarf_Die child;
  if (depth > 64 || dwarf_child(parent, &child) != 0) return false;
  do {
    const int tag = dwarf_tag(&child);
    const bool code = tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block;
    if (code && dwarf_haspc(&child, pc) == 1) {
      if (tag != DW_TAG_lexical_block) out.push_back(child);
      find_scopes(&child, pc, out, depth + 1);
      return true;
    }
    const bool may_nest = tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block || tag == DW_TAG_namespace ||
                          tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type;
    if (may_nest && find_scopes(&child, pc, out, depth + 1)) return true;
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

}  // namespace detail

// inline_chain() is the chain at `at` (a module address; `bias` from dwfl_module_addrdie), innermost
// (the inlined code, at file:line from the line table) first, the out-of-line function last.
// Empty without debug information.
inline std::vector<Frame> inline_chain(Dwarf_Die* cu, Dwarf_Addr bias, Dwarf_Addr at, const std::string& file,
                                             int line) {
  std::vector<Frame> frames;
  if (!cu) return frames;
  std::vector<Dwarf_Die> scopes;
  detail::find_scopes(cu, at - bias, scopes);
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  const bool have_files = dwarf_getsrcfiles(cu, &files, &nfiles) == 0;
  Frame loc{"", file, line};
  for (size_t i = scopes.size(); i-- > 0;) {
    const int tag = dwarf_tag(&scopes[i]);
    loc.function = detail::die_name(&scopes[i]);
    frames.push_back(loc);
    if (tag == DW_TAG_subprogram) break;
    Dwarf_Attribute attr;
    Dwarf_Word file_idx = 0, call_line = 0;
    loc = Frame{};
    if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &call_line) == 0)
      loc.line = static_cast<int>(call_line);
    if (have_files && dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &attr), &file_idx) == 0 &&
        file_idx < nfiles)
      if (const char* f = dwarf_filesrc(files, file_idx, nullptr, nullptr)) loc.file = f;
  }
  return frames;
}

}  // namespace ts::sym
