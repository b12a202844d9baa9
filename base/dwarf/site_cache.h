// site_cache.h: what symbolizing a code address gave (function, file:line, inline chain), kept on
// disk by the module's build-id and the address in the module's ELF file, so that a later run
// finds it without opening the module's DWARF at all. For libc with libc6-dbg that is most of a
// warm `taskscope stack`: reading .debug_aranges, the symbol table of the debug file (searched
// whole for each address by libdwfl), line tables and DIE trees, for a dozen addresses.
// A build-id names one build of a file, and so its code, symbols and DWARF: an entry stays right
// as long as the file it came from has that build-id. Only sites found with DWARF are kept (a
// module whose debug file is installed later is then read again, not remembered bare); a lookup
// without DWARF takes the function and offset of a kept site (the same symbol table). The format
// carries a version, raised whenever lookup() would describe an address differently.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>

#include "dwarf/symbolizer.h"

namespace ts::dwarf {

// SiteCache holds the cached sites of the modules asked about, read from and written to
// DIR/sites/<build-id> (DIR: debug_cache_dir()). Not thread-safe.
class SiteCache {
 public:
  // SiteCache() uses directory `dir`; with "" it neither reads nor writes anything.
  explicit SiteCache(std::string dir) : dir_(std::move(dir)) {}
  ~SiteCache() { save(); }
  SiteCache(const SiteCache&) = delete;
  SiteCache& operator=(const SiteCache&) = delete;

  // find() is the site kept for (build_id, module_addr, return_address), nullptr when none; its
  // pc, module, module_path and build_id are left empty (they belong to the process).
  const Site* find(const std::string& build_id, uint64_t module_addr, bool return_address);
  // add() keeps a site found with DWARF, written when the cache ends.
  void add(const std::string& build_id, uint64_t module_addr, bool return_address, const Site& s);
  // save() writes the modules that got new sites (each file replaced atomically).
  void save();

  // path() is where the sites of build_id are kept, "" without a directory or a build-id.
  std::string path(const std::string& build_id) const;

 private:
  struct Module {
    std::map<uint64_t, Site> sites;  // key: module_addr << 1 | return_address
    bool dirty = false;
  };
  Module& module(const std::string& build_id);

  std::string dir_;
  std::unordered_map<std::string, Module> modules_;
};

}  // namespace ts::dwarf
