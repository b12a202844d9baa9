// paths.cpp: finding the shipped helper files relative to the running binary.
#include "costs/paths.h"

#include <cstdlib>
#include <filesystem>

#include "model/error.h"

namespace ts::costs {

namespace {

// prefix() is the directory above the running binary's (build/rel for build/rel/bin/taskscope).
std::filesystem::path prefix() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("bench: cannot find the running binary: " + ec.message());
  return exe.parent_path().parent_path();
}

}  // namespace

std::string exec_helper_path() { return (prefix() / "libexec/taskscope/bench-exec").string(); }

std::string go_source_dir() { return (prefix() / "share/taskscope/bench-go").string(); }

std::string cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/taskscope";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.cache/taskscope";
  throw Error("bench: neither XDG_CACHE_HOME nor HOME is set: nowhere to keep the built Go program");
}

}  // namespace ts::costs
