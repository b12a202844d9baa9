// proc_symbols.h: ProcSymbols, turning code addresses in a live process into function and
// source line, cached (base/dwarf's Symbolizer does the libdwfl work), and the short forms the
// views print.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dwarf/debug_cache.h"
#include "dwarf/symbolizer.h"

namespace ts::sym {

// Frame and Site come from the shared floor (base/dwarf): the goro runtime's dump uses them too.
using Frame = dwarf::Frame;
using Site = dwarf::Site;
using dwarf::user_frame;

// short_function() drops the parameter list and trailing qualifiers from a demangled name:
// "ns::f(int) const" -> "ns::f", "main::{lambda()#1}::operator()() const" -> "main::{lambda()#1}::operator()".
std::string short_function(const std::string& name);

// ProcSymbols symbolizes addresses of one process. Results are cached per address.
// Reading another process's maps needs the same rights as reading /proc/PID/maps.
class ProcSymbols {
 public:
  // ProcSymbols() reports pid's modules to libdwfl; never throws (lookups then return bare sites).
  // With dwarf = false lookups read symbol tables only (see dwarf::Symbolizer::lookup()).
  // Compressed separate debug files are read from, and stored in, dwarf::debug_cache_dir().
  explicit ProcSymbols(int32_t pid, bool dwarf = true) : symbolizer_(pid, dwarf::debug_cache_dir()), dwarf_(dwarf) {}
  ProcSymbols(const ProcSymbols&) = delete;
  ProcSymbols& operator=(const ProcSymbols&) = delete;

  // lookup() describes `pc`. For a return address (the instruction after a call) pass
  // return_address = true so the line looked up is the call's, not the next statement's.
  const Site& lookup(uint64_t pc, bool return_address = false);
  // ok() tells whether the process's modules could be read at all.
  bool ok() const { return symbolizer_.ok(); }
  // dwfl() is the libdwfl session with pid's modules (nullptr when !ok()), for an unwinder that
  // reads the same modules (lib/stack). Owned here.
  Dwfl* dwfl() const { return symbolizer_.dwfl(); }

 private:
  dwarf::Symbolizer symbolizer_;
  bool dwarf_;                                // file:line and inline chains (DWARF) wanted
  std::unordered_map<uint64_t, Site> cache_;  // key: pc << 1, low bit set for return addresses
};

// describe() prints a site for a table: "file.cpp:42" (of user_frame(s, skip)) when the line is known, else
// "function+0x12", else "module+0x..." or the bare address in hex; "-" for pc 0.
std::string describe(const Site& s, std::string_view skip = {});

}  // namespace ts::sym
