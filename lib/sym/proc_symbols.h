// proc_symbols.h: ProcSymbols, turning code addresses in a live process into function and
// source line (libdwfl over /proc/PID/maps and the mapped ELF files with their debug info).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct Dwfl;

namespace ts::sym {

// Frame is one level of a site's inline chain: a function and the source line inside it.
struct Frame {
  std::string function;       // demangled name
  std::string file;           // source file as in DWARF
  int line = 0;
};

// Site is where a code address lies. Empty strings / 0 when unknown.
struct Site {
  uint64_t pc = 0;            // the address asked about
  std::string module;         // file name of the ELF mapping it ("taskscope", "libc.so.6")
  std::string function;       // demangled function name
  uint64_t offset = 0;        // pc - function start
  std::string file;           // source file (full path as in DWARF)
  int line = 0;               // source line
  std::vector<Frame> frames;  // inline chain from DWARF: innermost (== file:line) first, the
                              // out-of-line function last; empty without debug information
};

// user_frame() is the innermost frame whose file does not contain `skip` (e.g. "include/goro/", so
// a call through an inlined goro::go reports the line that called it). Without such a frame it is
// the out-of-line function alone (no file/line) when the site's own line is in a skipped file, else
// the site's own function/file/line.
Frame user_frame(const Site& s, std::string_view skip);

// short_function() drops the parameter list and trailing qualifiers from a demangled name:
// "ns::f(int) const" -> "ns::f", "main::{lambda()#1}::operator()() const" -> "main::{lambda()#1}::operator()".
std::string short_function(const std::string& name);

// ProcSymbols symbolizes addresses of one process. Results are cached per address.
// Reading another process's maps needs the same rights as reading /proc/PID/maps.
class ProcSymbols {
 public:
  // ProcSymbols() reports pid's modules to libdwfl; never throws (lookups then return bare sites).
  explicit ProcSymbols(int32_t pid);
  ~ProcSymbols();
  ProcSymbols(const ProcSymbols&) = delete;
  ProcSymbols& operator=(const ProcSymbols&) = delete;

  // lookup() describes `pc`. For a return address (the instruction after a call) pass
  // return_address = true so the line looked up is the call's, not the next statement's.
  const Site& lookup(uint64_t pc, bool return_address = false);
  // ok() tells whether the process's modules could be read at all.
  bool ok() const { return dwfl_ != nullptr; }

 private:
  Dwfl* dwfl_ = nullptr;
  std::unordered_map<uint64_t, Site> cache_;  // key: pc, low bit set for return addresses
};

// describe() prints a site for a table: "file.cpp:42" (of user_frame(s, skip)) when the line is known, else
// "function+0x12", else "module+0x..." or the bare address in hex; "-" for pc 0.
std::string describe(const Site& s, std::string_view skip = {});

}  // namespace ts::sym
