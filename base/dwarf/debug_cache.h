// debug_cache.h: inflated copies of separate debug files whose DWARF sections are compressed
// (Debian's -dbg packages: libc6-dbg's libc debug file holds ~4 MB of zlib that libdw 0.188
// inflates whole, every section, each time it opens the file: most of a `taskscope stack`). The
// copies are kept by build-id in the layout libdwfl's debug-info path searches, so a later run maps
// the inflated file instead of inflating it again; perf's ~/.debug build-id cache does the same.
#pragma once
#include <string>

struct Elf;

namespace ts::dwarf {

// debug_cache_dir() is $XDG_CACHE_HOME/taskscope/debug, else $HOME/.cache/taskscope/debug; ""
// when neither variable is set or TASKSCOPE_DEBUG_CACHE is "0" (no cache is read or written).
std::string debug_cache_dir();

// debug_cache_path() is where cache directory `dir` keeps the debug file of the build-id given in
// hex: DIR/.build-id/ab/cdef....debug; "" when the build-id is shorter than 2 bytes.
std::string debug_cache_path(const std::string& dir, const std::string& build_id_hex);

// make_cache_dirs() creates every directory of `path` up to its last '/' (mode 0700: a user's
// cache); false when one could not be made.
bool make_cache_dirs(const std::string& path);

// has_compressed_debug() tells whether the ELF file at `path` has a compressed section (only its
// section headers are read).
bool has_compressed_debug(const std::string& path);

// store_inflated() writes ELF `in` as it is in memory (libdw leaves the sections it read inflated)
// to `path` with every section uncompressed, creating the directories; atomically (a temporary
// file renamed over it), so a reader sees a whole file or none. False when it could not (no
// space, no permission, a section still compressed).
bool store_inflated(Elf* in, const std::string& path);

}  // namespace ts::dwarf
