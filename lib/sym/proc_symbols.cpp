// proc_symbols.cpp: libdwfl-backed symbolization of addresses in a live process.
#include "sym/proc_symbols.h"

#include <cxxabi.h>
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

}  // namespace

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
  }
  return cache_.emplace(key, std::move(s)).first->second;
}

std::string describe(const Site& s) {
  if (s.pc == 0) return "-";
  if (!s.file.empty() && s.line > 0) return base_name(s.file) + ":" + std::to_string(s.line);
  if (!s.function.empty()) return short_function(s.function) + "+" + hex(s.offset);
  if (!s.module.empty()) return s.module + "+" + hex(s.offset);
  return hex(s.pc);
}

}  // namespace ts::sym
