// layering_test.cpp: the house rules issue 8 asked for, checked on the source tree itself, so a
// change that breaks one fails here and names the file: the floors (base/ below runtime/ and lib/,
// the runtime never including lib/), one place that knows both sources (lib/bpf never includes
// lib/procfs; no tool reads /proc or libproc2 itself), and one home for clock reads (lib/sys).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "../support/support.h"

namespace fs = std::filesystem;

namespace {

// repo() is the source tree: the build directory is <repo>/build/<variant>.
fs::path repo() { return fs::path(ts::test::build_dir()).parent_path().parent_path(); }

// sources() lists the C/C++ files under `dir` of the source tree.
std::vector<fs::path> sources(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(repo() / dir)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".cpp" || ext == ".h" || ext == ".c" || ext == ".hpp")) out.push_back(e.path());
  }
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// includes() lists a file's includes: the quoted ones (the project's own headers), or with
// `angle` also the <system> ones (<sys/mman.h> is not lib/sys).
std::vector<std::string> includes(const fs::path& p, bool angle = false) {
  const std::regex inc(angle ? R"(^\s*#\s*include\s*[<"]([^">]+)[">])" : R"re(^\s*#\s*include\s*"([^"]+)")re");
  std::vector<std::string> out;
  std::istringstream in(slurp(p));
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, inc)) out.push_back(m[1]);
  }
  return out;
}

bool starts(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// lib_rooms are lib/'s top directories: an include "<room>/x.h" from the runtime or base/ is lib's.
const std::vector<std::string> kLibRooms{"model/", "procfs/", "bpf/", "goro/reader", "goro/segment", "goro/bus_guard",
                                         "sym/", "sources/", "format/", "sys/", "view/", "gort/", "stack/"};

}  // namespace

TEST_CASE("runtime/ and base/ include nothing from lib/", "[layering]") {
  REQUIRE(fs::exists(repo() / "runtime/src"));
  for (const std::string dir : {"runtime", "base"})
    for (const fs::path& f : sources(dir))
      for (const std::string& inc : includes(f))
        for (const std::string& room : kLibRooms) {
          INFO(f.string() << " includes " << inc);
          CHECK_FALSE(starts(inc, room));
        }
}

TEST_CASE("base/ includes neither the runtime nor lib/", "[layering]") {
  for (const fs::path& f : sources("base"))
    for (const std::string& inc : includes(f)) {
      INFO(f.string() << " includes " << inc);
      CHECK_FALSE(starts(inc, "goro/"));
      CHECK_FALSE(starts(inc, "../"));
    }
}

TEST_CASE("lib/bpf never includes lib/procfs; only lib/sources knows both sources", "[layering]") {
  for (const fs::path& f : sources("lib/bpf"))
    for (const std::string& inc : includes(f, true)) {
      INFO(f.string() << " includes " << inc);
      CHECK_FALSE(starts(inc, "procfs/"));
      CHECK_FALSE(starts(inc, "libproc2/"));
    }
}

TEST_CASE("tools never read /proc or libproc2 themselves", "[layering]") {
  // A tool asks a library (lib/sources, lib/procfs's readers); the string "/proc/" may appear in
  // what a tool prints, never in a path it opens.
  static const std::regex opens(R"((open|openat|fopen|ifstream|opendir|access|readlink)\s*\([^;]*"/proc/)");
  for (const fs::path& f : sources("tools")) {
    const std::string text = slurp(f);
    INFO(f.string());
    CHECK_FALSE(std::regex_search(text, opens));
    for (const std::string& inc : includes(f, true)) {
      INFO("includes " << inc);
      CHECK_FALSE(starts(inc, "libproc2/"));
      CHECK_FALSE(starts(inc, "procfs/proc_source"));
      CHECK_FALSE(starts(inc, "procfs/proc_text"));
    }
  }
}

TEST_CASE("clocks are read in one place: lib/sys", "[layering]") {
  // The runtime has its own floor (it may not use lib/sys) and reads its clocks in sched.cpp and
  // introspect.cpp; lib and tools go through lib/sys.
  for (const std::string dir : {"lib", "tools"})
    for (const fs::path& f : sources(dir)) {
      if (f.parent_path().filename() == "sys") continue;
      INFO(f.string());
      CHECK(slurp(f).find("clock_gettime") == std::string::npos);
    }
}
