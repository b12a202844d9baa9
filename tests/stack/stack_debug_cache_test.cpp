// stack_debug_cache_test.cpp: a separate debug file with compressed sections (libc6-dbg's) is
// stored inflated in the cache once read, and a later Symbolizer reads that copy (mapped, nothing
// to inflate) and gives the same answers.
#include <elfutils/libdwfl.h>
#include <pthread.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "dwarf/debug_cache.h"
#include "dwarf/symbolizer.h"

namespace {

// debug_file() is the debug file libdwfl read for the module holding pc, "" none.
std::string debug_file(const ts::dwarf::Symbolizer& s, uint64_t pc) {
  Dwfl_Module* mod = dwfl_addrmodule(s.dwfl(), pc);
  const char *main = nullptr, *debug = nullptr;
  if (mod) dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, &main, &debug);
  return debug ? debug : "";
}

void check_same(const ts::dwarf::Site& a, const ts::dwarf::Site& b) {
  CHECK(a.function == b.function);
  CHECK(a.file == b.file);
  CHECK(a.line == b.line);
  REQUIRE(a.frames.size() == b.frames.size());
  for (size_t i = 0; i < a.frames.size(); ++i) {
    CHECK(a.frames[i].function == b.frames[i].function);
    CHECK(a.frames[i].file == b.frames[i].file);
    CHECK(a.frames[i].line == b.frames[i].line);
  }
}

}  // namespace

TEST_CASE("a compressed debug file is stored inflated, and read from the cache the next time", "[stack][sym]") {
  char tmpl[] = "/tmp/ts-debug-cache-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  const std::string dir = tmpl;
  const uint64_t pc = reinterpret_cast<uint64_t>(&pthread_mutex_lock) + 8;  // in libc, which libc6-dbg describes
  ts::dwarf::Site plain;
  std::string original;
  {
    const ts::dwarf::Symbolizer s(getpid());
    plain = s.lookup(pc);
    original = debug_file(s, pc);
  }
  REQUIRE(plain.module == "libc.so.6");
  REQUIRE(plain.line > 0);  // libc6-dbg is installed (DEB_PKGS)
  REQUIRE(ts::dwarf::has_compressed_debug(original));
  const std::string copy = ts::dwarf::debug_cache_path(dir, plain.build_id);
  {
    const ts::dwarf::Symbolizer s(getpid(), dir);
    check_same(s.lookup(pc), plain);
    CHECK(debug_file(s, pc) == original);  // nothing cached yet
    CHECK(access(copy.c_str(), F_OK) != 0);
  }  // stored as it ends
  REQUIRE(access(copy.c_str(), R_OK) == 0);
  CHECK_FALSE(ts::dwarf::has_compressed_debug(copy));
  {
    const ts::dwarf::Symbolizer s(getpid(), dir);
    check_same(s.lookup(pc), plain);
    check_same(s.lookup(pc, true), [&] {
      const ts::dwarf::Symbolizer ref(getpid());
      return ref.lookup(pc, true);
    }());
    CHECK(debug_file(s, pc) == copy);  // the inflated copy, found by build-id
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("debug_cache_dir follows XDG_CACHE_HOME, then HOME, and TASKSCOPE_DEBUG_CACHE=0 turns it off", "[stack][sym]") {
  const char* home = std::getenv("HOME");
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const std::string saved_home = home ? home : "", saved_xdg = xdg ? xdg : "";
  setenv("XDG_CACHE_HOME", "/x/cache", 1);
  CHECK(ts::dwarf::debug_cache_dir() == "/x/cache/taskscope/debug");
  unsetenv("XDG_CACHE_HOME");
  setenv("HOME", "/h", 1);
  CHECK(ts::dwarf::debug_cache_dir() == "/h/.cache/taskscope/debug");
  setenv("TASKSCOPE_DEBUG_CACHE", "0", 1);
  CHECK(ts::dwarf::debug_cache_dir() == "");
  unsetenv("TASKSCOPE_DEBUG_CACHE");
  if (home) setenv("HOME", saved_home.c_str(), 1);
  else unsetenv("HOME");
  if (xdg) setenv("XDG_CACHE_HOME", saved_xdg.c_str(), 1);
  CHECK(ts::dwarf::debug_cache_path("/c", "abcdef") == "/c/.build-id/ab/cdef.debug");
}
