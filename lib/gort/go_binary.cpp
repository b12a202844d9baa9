// go_binary.cpp: a Go executable through libelf (sections, symbols) and libdw (its DWARF).
#include "gort/go_binary.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "model/error.h"

namespace ts::gort {

std::string go_build_version(std::string_view s) {
  static constexpr std::string_view kMagic("\xff Go buildinf:", 14);
  if (s.size() < 33 || s.substr(0, kMagic.size()) != kMagic || !(static_cast<uint8_t>(s[15]) & 2)) return {};
  uint64_t len = 0;
  size_t i = 32;
  for (int shift = 0; i < s.size() && shift < 64; shift += 7) {
    const uint8_t b = static_cast<uint8_t>(s[i++]);
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  if (len == 0 || len > 64 || i + len > s.size()) return {};
  const std::string v(s.substr(i, len));
  return v.rfind("go", 0) == 0 ? v : std::string();
}

GoBinary::GoBinary(const std::string& path) {
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    const int e = errno;
    if (e == ENOENT || e == ESRCH) throw Gone("cannot open " + path + ": the process is gone");
    throw Error("cannot open " + path + ": " + std::strerror(e) + (e == EACCES ? " (needs root or CAP_SYS_PTRACE)" : ""));
  }
  elf_version(EV_CURRENT);
  elf_ = elf_begin(fd_, ELF_C_READ_MMAP, nullptr);
  GElf_Ehdr eh;
  if (!elf_ || elf_kind(elf_) != ELF_K_ELF || !gelf_getehdr(elf_, &eh)) {
    if (elf_) elf_end(elf_);
    close(fd_);
    throw Error(path + " is not an ELF executable");
  }
  pie_ = eh.e_type == ET_DYN;
  size_t nph = 0;
  elf_getphdrnum(elf_, &nph);
  bool have_phdr = false;
  for (size_t i = 0; i < nph; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf_, static_cast<int>(i), &ph)) continue;
    if (ph.p_type == PT_PHDR) phdr_vaddr_ = ph.p_vaddr, have_phdr = true;
    else if (!have_phdr && ph.p_type == PT_LOAD && ph.p_offset == 0) phdr_vaddr_ = ph.p_vaddr + eh.e_phoff, have_phdr = true;
  }
  read_sections();
  read_symbols();
  if (version_.empty() && dwarf()) {
    // The producer of every Go CU: "Go cmd/compile go1.19.8; regabi".
    Dwarf_Off off = 0, next = 0;
    size_t hsize = 0;
    if (dwarf_nextcu(dwarf_, off, &next, &hsize, nullptr, nullptr, nullptr) == 0) {
      Dwarf_Die cu;
      Dwarf_Attribute a;
      const char* p = dwarf_offdie(dwarf_, off + hsize, &cu) ? dwarf_formstring(dwarf_attr(&cu, DW_AT_producer, &a)) : nullptr;
      if (const char* g = p ? std::strstr(p, " go1") : nullptr) version_ = std::string(g + 1, strcspn(g + 1, " ;"));
    }
  }
}

Dwarf* GoBinary::dwarf() const {
  if (!dwarf_tried_) dwarf_ = dwarf_begin_elf(elf_, DWARF_C_READ, nullptr), dwarf_tried_ = true;
  return dwarf_;
}

void GoBinary::share_dwarf(Dwarf* dw) {
  if (!dw) return;
  if (dwarf_ && owns_dwarf_) dwarf_end(dwarf_);
  dwarf_ = dw;
  dwarf_tried_ = true;
  owns_dwarf_ = false;
}

GoBinary::~GoBinary() {
  if (dwarf_ && owns_dwarf_) dwarf_end(dwarf_);
  if (elf_) elf_end(elf_);
  if (fd_ >= 0) close(fd_);
}

void GoBinary::read_sections() {
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf_, &shstrndx) != 0) return;
  for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn; scn = elf_nextscn(elf_, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    const char* name = elf_strptr(elf_, shstrndx, sh.sh_name);
    if (!name) continue;
    const std::string_view n(name);
    if (n == ".gopclntab" || n == ".data.rel.ro.gopclntab") is_go_ = true;
    if (n == ".go.buildinfo" && sh.sh_type == SHT_PROGBITS) {
      is_go_ = true;
      if (Elf_Data* d = elf_getdata(scn, nullptr); d && d->d_buf)
        version_ = go_build_version(std::string_view(static_cast<const char*>(d->d_buf), d->d_size));
    }
  }
}

void GoBinary::read_symbols() {
  for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn; scn = elf_nextscn(elf_, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize == 0) continue;
    Elf_Data* d = elf_getdata(scn, nullptr);
    if (!d) continue;
    const size_t n = sh.sh_size / sh.sh_entsize;
    objects_.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(d, static_cast<int>(i), &sym) || sym.st_value == 0) continue;
      const char* name = elf_strptr(elf_, sh.sh_link, sym.st_name);
      if (!name || !*name) continue;
      objects_.emplace(name, Symbol{sym.st_value, sym.st_size});
      if (GELF_ST_TYPE(sym.st_info) == STT_FUNC) funcs_.push_back({sym.st_value, sym.st_value + std::max<uint64_t>(sym.st_size, 1), name});
    }
  }
  std::sort(funcs_.begin(), funcs_.end(), [](const Func& a, const Func& b) { return a.lo < b.lo; });
  if (objects_.count("runtime.buildVersion")) is_go_ = true;
}

std::optional<Symbol> GoBinary::symbol(std::string_view name) const {
  const auto it = objects_.find(std::string(name));
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::string GoBinary::function_at(uint64_t addr) const {
  auto it = std::upper_bound(funcs_.begin(), funcs_.end(), addr, [](uint64_t a, const Func& f) { return a < f.lo; });
  if (it == funcs_.begin()) return {};
  --it;
  return addr < it->hi ? it->name : std::string();
}

}  // namespace ts::gort
