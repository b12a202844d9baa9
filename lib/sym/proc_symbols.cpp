// proc_symbols.cpp: libdwfl-backed symbolization of addresses in a live process.
#include "sym/proc_symbols.h"

#include <elfutils/libdwfl.h>

#include "format/units.h"
#include "sym/inline_chain.h"

namespace ts::sym {
namespace {

std::string base_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
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
      s.function = detail::demangle(name);
      s.offset = pc - (at - off);
    }
    if (Dwfl_Line* line = dwfl_module_getsrc(mod, at)) {
      int lineno = 0;
      if (const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr)) {
        s.file = file;
        s.line = lineno;
      }
    }
    Dwarf_Addr bias = 0;
    Dwarf_Die* cu = dwfl_module_addrdie(mod, at, &bias);
    s.frames = inline_chain(cu, bias, at, s.file, s.line);
    // DWARF names a local class's member by its bare name ("operator()"); the symbol is qualified.
    if (!s.frames.empty() && !s.function.empty()) s.frames.back().function = s.function;
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
