// symbolizer.h: code addresses of a live process -> function, file:line and inline chain, with
// libdwfl over /proc/PID/maps and the mapped ELF files and their debug information.
// This is the one home of that piece: the goro runtime's goroutine dump (runtime/src/debug.cpp) and
// taskscope's ProcSymbols (lib/sym) both build on it. It sits below both and includes nothing from
// lib/ or runtime/ (base/ is the floor; see docs/ARCHITECTURE.md).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

struct Dwfl;
struct Dwfl_Module;

namespace ts::dwarf {

class SiteCache;

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
  std::string function;       // demangled function name (the ELF symbol: qualified)
  uint64_t offset = 0;        // pc - function start
  std::string file;           // source file (full path as in DWARF)
  int line = 0;               // source line
  std::vector<Frame> frames;  // inline chain from DWARF: innermost (== file:line) first, the
                              // out-of-line function last (named by its symbol); empty without
                              // debug information
  uint64_t module_addr = 0;   // pc as an address of the module's ELF file (pc minus its load
                              // bias): what eu-addr2line -e FILE takes; 0 without a module
  std::string build_id;       // the module's GNU build-id in hex, "" when it has none
  std::string module_path;    // the module's path in the process's mount namespace
};

// demangle() is the demangled form of a C++ symbol name, or the name itself when it is not one.
std::string demangle(const char* name);

// user_frame() is the innermost frame whose file does not contain `skip` (e.g. "include/goro/", so
// a call through an inlined goro::go reports the line that called it). Without such a frame it is
// the out-of-line function alone (no file/line) when the site's own line is in a skipped file, else
// the site's own function/file/line.
Frame user_frame(const Site& s, std::string_view skip);

// Symbolizer looks addresses up in one process's modules. Not thread-safe; no cache (callers that
// ask about the same address often keep their own, as ts::sym::ProcSymbols does).
// Reading another process's maps needs the same rights as reading /proc/PID/maps. ELF files are
// opened through /proc/PID/root (the process's own mount namespace: a container's libraries),
// then /proc/PID/map_files for deleted ones, then by their plain path.
class Symbolizer {
 public:
  // Symbolizer() reports pid's modules to libdwfl; never throws (lookups then return bare sites).
  // With a `debug_cache` directory (debug_cache.h) separate debug files are looked for there
  // first, and one whose sections were compressed is stored there inflated when the Symbolizer
  // ends, once it was read for a lookup; and what lookups found with DWARF is kept there by
  // build-id (site_cache.h), so a later run answers them without reading DWARF.
  explicit Symbolizer(int32_t pid, std::string debug_cache = {});
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // lookup() describes `pc`. For a return address (the instruction after a call) pass
  // return_address = true so the line looked up is the call's, not the next statement's.
  // With dwarf = false only the symbol tables are read (no file:line, no inline chain): a
  // module's DWARF is never opened, which for compressed debug sections (Debian's -dbg files)
  // saves inflating them whole.
  Site lookup(uint64_t pc, bool return_address = false, bool dwarf = true) const;
  // ok() tells whether the process's modules could be read at all.
  bool ok() const { return dwfl_ != nullptr; }
  // dwfl() is the libdwfl session holding the reported modules (nullptr when !ok()), for an
  // unwinder that wants the same modules (lib/stack attaches its thread callbacks to it). It
  // stays owned by the Symbolizer.
  Dwfl* dwfl() const { return dwfl_; }

  struct Context;  // per-process state the find_elf callback reads (the pid)

 private:
  // CuRange is one address range [lo, hi) of a compile unit (DWARF addresses) and the unit's DIE.
  struct CuRange {
    uint64_t lo, hi, die;
  };
  // cu_ranges() is `mod`'s compile units by address, sorted, built once: for DWARF without
  // .debug_aranges (Go emits none), where libdw 0.188's dwfl_module_addrdie and
  // dwfl_module_getsrc find no unit and so no line.
  const std::vector<CuRange>& cu_ranges(Dwfl_Module* mod) const;

  // store_debug() stores the inflated copy of each compressed debug file a lookup read.
  void store_debug();

  Dwfl* dwfl_ = nullptr;
  Context* ctx_ = nullptr;
  std::string debug_cache_;
  mutable std::unordered_set<Dwfl_Module*> dwarf_read_;  // modules whose DWARF a lookup opened
  mutable std::unordered_map<const Dwfl_Module*, std::vector<CuRange>> cu_ranges_;
  std::unique_ptr<SiteCache> sites_;  // lookups kept on disk by build-id (none without debug_cache_)
};

}  // namespace ts::dwarf
