// maps_elf.h: what the executable's ELF headers say about its segments (libelf's gelf API).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/memory_map.h"

namespace ts {

// ElfLoad is one PT_LOAD program header. Where memsz > filesz the rest is bss (zero-filled).
struct ElfLoad {
  uint64_t vaddr = 0;   // p_vaddr (link-time; add the load bias for a PIE)
  uint64_t offset = 0;  // p_offset
  uint64_t filesz = 0;  // p_filesz
  uint64_t memsz = 0;   // p_memsz
  uint32_t flags = 0;   // p_flags (PF_R|PF_W|PF_X)
};

// ElfSection is what size(1) looks at in one section header.
struct ElfSection {
  uint64_t size = 0;   // sh_size
  uint64_t flags = 0;  // sh_flags (SHF_ALLOC, SHF_WRITE, SHF_EXECINSTR)
  uint32_t type = 0;   // sh_type (SHT_NOBITS has no file contents)
};

// berkeley_size() sums sections as GNU size's default format does: only SHF_ALLOC sections count;
// code or read-only (no SHF_WRITE) is text, writable with contents is data, the rest (NOBITS) is bss.
SizeTotals berkeley_size(const std::vector<ElfSection>& sections);

// ElfImage is what taskscope maps needs from an executable.
struct ElfImage {
  bool pie = false;                   // ET_DYN: loaded at a random bias
  std::vector<ElfLoad> loads;         // PT_LOAD headers in file order
  std::vector<ElfSection> sections;   // every section header
  SizeTotals size;                    // berkeley_size(sections)
};

// read_elf_image() reads the headers of the ELF file at `path` (e.g. /proc/PID/exe).
// Throws ts::Error naming the file when it cannot be opened or is not ELF.
ElfImage read_elf_image(const std::string& path);

}  // namespace ts
