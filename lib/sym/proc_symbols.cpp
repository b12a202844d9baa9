// proc_symbols.cpp: libdwfl-backed symbolization of addresses in a live process.
#include "sym/proc_symbols.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <cstdlib>
#include <memory>

#include "format/units.h"

namespace ts::sym {
namespace {

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> d(abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return status == 0 && d ? std::string(d.get()) : std::string(name);
}

std::string base_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string die_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int at : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name})
    if (dwarf_attr_integrate(die, at, &attr))
      if (const char* n = dwarf_formstring(&attr)) return demangle(n);
  return "";
}

// inline_chain() walks the DWARF scopes holding `addr` (module-relative after bias) from the
// innermost inlined call out to the real function, pairing each with the line executing in it.
std::vector<Frame> inline_chain(Dwfl_Module* mod, Dwarf_Addr at, const std::string& file, int line) {
  std::vector<Frame> frames;
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(mod, at, &bias);
  if (!cu) return frames;
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes(cu, at - bias, &scopes);
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  const bool have_files = dwarf_getsrcfiles(cu, &files, &nfiles) == 0;
  Frame loc{"", file, line};
  for (int i = 0; i < n; ++i) {
    const int tag = dwarf_tag(&scopes[i]);
    if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram) continue;
    loc.function = die_name(&scopes[i]);
    frames.push_back(loc);
    if (tag == DW_TAG_subprogram) break;
    Dwarf_Attribute attr;
    Dwarf_Word file_idx = 0, call_line = 0;
    loc = Frame{};
    if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &call_line) == 0) loc.line = static_cast<int>(call_line);
    if (have_files && dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &attr), &file_idx) == 0 && file_idx < nfiles)
      if (const char* f = dwarf_filesrc(files, file_idx, nullptr, nullptr)) loc.file = f;
  }
  free(scopes);
  return frames;
}

}  // namespace

Frame user_frame(const Site& s, std::string_view skip) {
  if (!skip.empty())
    for (const Frame& f : s.frames)
      if (f.file.find(skip) == std::string::npos && f.line > 0) return f;
  // No inline chain (GCC does not always describe always_inline calls): the line is in a skipped
  // header, but the out-of-line function around it is the caller's own.
  if (!skip.empty() && s.file.find(skip) != std::string::npos) return Frame{s.function, "", 0};
  return Frame{s.function, s.file, s.line};
}

std::string short_function(const std::string& name) {
  std::string s = name;
  for (const char* q : {" const", " volatile", " &&", " &"})
    while (s.size() > std::string(q).size() && s.ends_with(q)) s.resize(s.size() - std::string(q).size());
  if (!s.ends_with(")")) return s;
  int depth = 0;
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] == ')') ++depth;
    else if (s[i] == '(' && --depth == 0) return i == 0 ? s : s.substr(0, i);
  }
  return s;
}

ProcSymbols::ProcSymbols(int32_t pid) {
  static char* debuginfo_path = nullptr;
  static const Dwfl_Callbacks callbacks = {
      dwfl_linux_proc_find_elf, dwfl_standard_find_debuginfo, nullptr, &debuginfo_path};
  Dwfl* d = dwfl_begin(&callbacks);
  if (!d) return;
  if (dwfl_linux_proc_report(d, pid) != 0 || dwfl_report_end(d, nullptr, nullptr) != 0) {
    dwfl_end(d);
    return;
  }
  dwfl_ = d;
}

ProcSymbols::~ProcSymbols() {
  if (dwfl_) dwfl_end(dwfl_);
}

const Site& ProcSymbols::lookup(uint64_t pc, bool return_address) {
  const uint64_t key = pc | (return_address ? 1 : 0);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  Site s;
  s.pc = pc;
  Dwfl_Module* mod = dwfl_ && pc ? dwfl_addrmodule(dwfl_, pc) : nullptr;
  if (mod) {
    const uint64_t at = return_address && pc ? pc - 1 : pc;
    Dwarf_Addr start = 0;
    if (const char* m = dwfl_module_info(mod, nullptr, &start, nullptr, nullptr, nullptr, nullptr, nullptr)) {
      s.module = base_name(m);
      s.offset = pc - start;
    }
    GElf_Off off = 0;
    GElf_Sym sym;
    if (const char* name = dwfl_module_addrinfo(mod, at, &off, &sym, nullptr, nullptr, nullptr)) {
      s.function = demangle(name);
      s.offset = pc - (at - off);
    }
    if (Dwfl_Line* line = dwfl_module_getsrc(mod, at)) {
      int lineno = 0;
      if (const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr)) {
        s.file = file;
        s.line = lineno;
      }
    }
    s.frames = inline_chain(mod, at, s.file, s.line);
  }
  return cache_.emplace(key, std::move(s)).first->second;
}

std::string describe(const Site& s, std::string_view skip) {
  if (s.pc == 0) return "-";
  if (const Frame f = user_frame(s, skip); !f.file.empty() && f.line > 0) return base_name(f.file) + ":" + std::to_string(f.line);
  if (const Frame f = user_frame(s, skip); !f.function.empty()) return short_function(f.function) + "+" + hex(s.offset);
  if (!s.module.empty()) return s.module + "+" + hex(s.offset);
  return hex(s.pc);
}

}  // namespace ts::sym
