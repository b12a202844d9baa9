// debug_cache.cpp: writing a debug file's inflated copy with libelf, and where copies live.
#include "dwarf/debug_cache.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ts::dwarf {
namespace {

// copy_elf() copies in's headers and sections into out (opened for writing); false when a
// section is still compressed or libelf refused.
bool copy_elf(Elf* in, Elf* out) {
  GElf_Ehdr eh;
  size_t nphdr = 0, shstrndx = 0;
  if (!gelf_getehdr(in, &eh) || elf_getphdrnum(in, &nphdr) != 0 || elf_getshdrstrndx(in, &shstrndx) != 0) return false;
  if (!gelf_newehdr(out, gelf_getclass(in))) return false;
  if (nphdr && !gelf_newphdr(out, nphdr)) return false;
  for (size_t i = 0; i < nphdr; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(in, static_cast<int>(i), &ph) || !gelf_update_phdr(out, static_cast<int>(i), &ph)) return false;
  }
  for (Elf_Scn* s = nullptr; (s = elf_nextscn(in, s));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(s, &sh) || (sh.sh_flags & SHF_COMPRESSED)) return false;
    Elf_Scn* o = elf_newscn(out);
    if (!o) return false;
    if (Elf_Data* d = elf_getdata(s, nullptr)) {
      Elf_Data* od = elf_newdata(o);
      if (!od) return false;
      *od = *d;  // the bytes stay in's until elf_update() has written them
    }
    if (!gelf_update_shdr(o, &sh)) return false;
  }
  if (shstrndx < SHN_LORESERVE) eh.e_shstrndx = static_cast<GElf_Half>(shstrndx);
  else return false;
  return gelf_update_ehdr(out, &eh) != 0;
}

}  // namespace

bool make_cache_dirs(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const std::string dir = path.substr(0, slash);
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return false;
  }
  return true;
}

std::string debug_cache_dir() {
  const char* off = std::getenv("TASKSCOPE_DEBUG_CACHE");
  if (off && std::strcmp(off, "0") == 0) return "";
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && x[0] == '/') return std::string(x) + "/taskscope/debug";
  if (const char* h = std::getenv("HOME"); h && h[0] == '/') return std::string(h) + "/.cache/taskscope/debug";
  return "";
}

std::string debug_cache_path(const std::string& dir, const std::string& build_id_hex) {
  if (build_id_hex.size() < 4) return "";
  return dir + "/.build-id/" + build_id_hex.substr(0, 2) + "/" + build_id_hex.substr(2) + ".debug";
}

bool has_compressed_debug(const std::string& path) {
  elf_version(EV_CURRENT);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool compressed = false;
  if (Elf* e = elf_begin(fd, ELF_C_READ_MMAP, nullptr)) {
    for (Elf_Scn* s = nullptr; !compressed && (s = elf_nextscn(e, s));) {
      GElf_Shdr sh;
      compressed = gelf_getshdr(s, &sh) && (sh.sh_flags & SHF_COMPRESSED);
    }
    elf_end(e);
  }
  close(fd);
  return compressed;
}

bool store_inflated(Elf* in, const std::string& path) {
  if (!in || path.empty() || !make_cache_dirs(path)) return false;
  std::string tmp = path + ".XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return false;
  bool ok = false;
  if (Elf* out = elf_begin(fd, ELF_C_WRITE, nullptr)) {
    ok = copy_elf(in, out) && elf_update(out, ELF_C_WRITE) >= 0;
    elf_end(out);
  }
  ok = close(fd) == 0 && ok && fchmodat(AT_FDCWD, tmp.c_str(), 0644, 0) == 0 && rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) unlink(tmp.c_str());
  return ok;
}

}  // namespace ts::dwarf
