// maps_elf.cpp: program and section headers through libelf.
#include "procfs/maps_elf.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "model/error.h"

namespace ts {

namespace {

// ElfFile owns an fd and its libelf handle.
struct ElfFile {
  int fd = -1;
  Elf* elf = nullptr;
  ~ElfFile() {
    if (elf) elf_end(elf);
    if (fd >= 0) close(fd);
  }
};

}  // namespace

SizeTotals berkeley_size(const std::vector<ElfSection>& sections) {
  SizeTotals t;
  for (const ElfSection& s : sections) {
    if (!(s.flags & SHF_ALLOC)) continue;
    if ((s.flags & SHF_EXECINSTR) || !(s.flags & SHF_WRITE)) t.text += s.size;
    else if (s.type != SHT_NOBITS) t.data += s.size;
    else t.bss += s.size;
  }
  return t;
}

ElfImage read_elf_image(const std::string& path) {
  if (elf_version(EV_CURRENT) == EV_NONE) throw Error("libelf is unusable: " + std::string(elf_errmsg(-1)));
  ElfFile f;
  f.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) throw Error("cannot open " + path + ": " + std::strerror(errno), 1);
  f.elf = elf_begin(f.fd, ELF_C_READ, nullptr);
  if (!f.elf || elf_kind(f.elf) != ELF_K_ELF) throw Error(path + " is not an ELF file");
  GElf_Ehdr eh;
  if (!gelf_getehdr(f.elf, &eh)) throw Error(path + ": bad ELF header: " + elf_errmsg(-1));
  ElfImage img;
  img.pie = eh.e_type == ET_DYN;
  size_t nph = 0;
  if (elf_getphdrnum(f.elf, &nph) != 0) throw Error(path + ": bad program headers: " + elf_errmsg(-1));
  for (size_t i = 0; i < nph; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(f.elf, static_cast<int>(i), &ph) || ph.p_type != PT_LOAD) continue;
    img.loads.push_back(ElfLoad{ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz, ph.p_flags});
  }
  for (Elf_Scn* scn = elf_nextscn(f.elf, nullptr); scn; scn = elf_nextscn(f.elf, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    img.sections.push_back(ElfSection{sh.sh_size, sh.sh_flags, sh.sh_type});
  }
  img.size = berkeley_size(img.sections);
  return img;
}

}  // namespace ts
