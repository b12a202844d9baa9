// go_binary.h: what a Go program's executable file says about it: that it is Go, its version, its
// symbols, and the handles its DWARF is read through (go_layout.h).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct Elf;
struct Dwarf;

namespace ts::gort {

// Symbol is an ELF symbol's link-time address and size.
struct Symbol {
  uint64_t addr = 0;
  uint64_t size = 0;
};

// GoBinary is an opened executable (read-only, through libelf and libdw; Go's zlib-compressed
// .debug_* sections are inflated by libdw). Not copyable; the DWARF handle lives as long as it.
class GoBinary {
 public:
  // GoBinary() opens `path` (for a live process: /proc/PID/exe). Throws ts::Gone when the file is
  // gone (ENOENT/ESRCH), ts::Error when it cannot be read or is not an ELF file.
  explicit GoBinary(const std::string& path);
  ~GoBinary();
  GoBinary(const GoBinary&) = delete;
  GoBinary& operator=(const GoBinary&) = delete;

  // is_go() tells whether the Go toolchain built it (a .go.buildinfo or .gopclntab section, or a
  // runtime.buildVersion symbol): true for stripped Go binaries too.
  bool is_go() const { return is_go_; }
  // version() is the Go version that built it ("go1.19.8") from .go.buildinfo (Go 1.18+), else
  // the DWARF producer; "" when neither says.
  const std::string& version() const { return version_; }
  // has_symbols() tells whether it has an ELF .symtab (`-ldflags=-s` removes it).
  bool has_symbols() const { return !objects_.empty(); }
  // dwarf() is its DWARF, nullptr without any (`-ldflags=-w` or `-s` removes it). Opened on first
  // use: inflating Go's compressed sections is most of opening a binary, and is_go() needs none.
  Dwarf* dwarf() const;
  // share_dwarf() makes dwarf() return `dw`, this file's DWARF already opened elsewhere (a libdwfl
  // session's), so it is not inflated a second time. `dw` stays its owner's and must outlive this.
  void share_dwarf(Dwarf* dw);
  // symbol() is the data or function symbol `name` ("runtime.allgs"), nullopt when absent.
  std::optional<Symbol> symbol(std::string_view name) const;
  // function_at() names the function symbol whose range holds link-time address `addr`; "" none.
  std::string function_at(uint64_t addr) const;
  // position_independent() tells whether it is ET_DYN (loaded at a bias chosen at exec).
  bool position_independent() const { return pie_; }
  // phdr_vaddr() is the link-time address of its program headers: the kernel's AT_PHDR minus this
  // is the load bias.
  uint64_t phdr_vaddr() const { return phdr_vaddr_; }

 private:
  // Func is one function symbol's range [lo, hi) and name.
  struct Func {
    uint64_t lo, hi;
    std::string name;
  };
  void read_sections();
  void read_symbols();

  int fd_ = -1;
  Elf* elf_ = nullptr;
  mutable Dwarf* dwarf_ = nullptr;
  mutable bool dwarf_tried_ = false;
  bool owns_dwarf_ = true;
  bool is_go_ = false;
  bool pie_ = false;
  uint64_t phdr_vaddr_ = 0;
  std::string version_;
  std::unordered_map<std::string, Symbol> objects_;  // every named symbol
  std::vector<Func> funcs_;                          // sorted by lo
};

// go_build_version() decodes the version string of a .go.buildinfo section's bytes (Go 1.18+:
// magic "\xff Go buildinf:", flags bit 2, then a varint-prefixed string); "" when it is not that.
std::string go_build_version(std::string_view section);

}  // namespace ts::gort
