// stack_site_cache_test.cpp: what a lookup found with DWARF is kept by build-id (site_cache.h): a
// later Symbolizer answers the same without opening the module's DWARF, a damaged file is
// ignored, and `taskscope stack` prints the same cold and warm.
#include <elfutils/libdwfl.h>
#include <pthread.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/support.h"
#include "dwarf/site_cache.h"
#include "dwarf/symbolizer.h"

namespace {

// dwarf_opened() tells whether libdwfl has read the DWARF of the module holding pc.
bool dwarf_opened(const ts::dwarf::Symbolizer& s, uint64_t pc) {
  Dwfl_Module* mod = dwfl_addrmodule(s.dwfl(), pc);
  const char* debug = nullptr;
  if (mod) dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, &debug);
  return debug != nullptr;
}

std::string show(const ts::dwarf::Site& s) {
  std::string out = s.function + "+" + std::to_string(s.offset) + " " + s.file + ":" + std::to_string(s.line) + " " +
                    s.module + " " + std::to_string(s.module_addr) + " " + s.build_id;
  for (const auto& f : s.frames) out += " | " + f.function + " " + f.file + ":" + std::to_string(f.line);
  return out;
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/ts-site-cache-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

const uint64_t kPc = reinterpret_cast<uint64_t>(&pthread_mutex_lock) + 8;  // in libc (libc6-dbg describes it)

}  // namespace

TEST_CASE("sites found with DWARF are kept by build-id and answered without reading DWARF", "[stack][sym]") {
  const TempDir dir;
  const ts::dwarf::Symbolizer ref(getpid());
  const ts::dwarf::Site want = ref.lookup(kPc), want_ret = ref.lookup(kPc, true);
  REQUIRE(want.line > 0);
  REQUIRE(!want.build_id.empty());
  {
    const ts::dwarf::Symbolizer s(getpid(), dir.path);
    CHECK(show(s.lookup(kPc)) == show(want));
    CHECK(show(s.lookup(kPc, true)) == show(want_ret));
    CHECK(dwarf_opened(s, kPc));
  }  // written as it ends
  const std::string file = ts::dwarf::SiteCache(dir.path).path(want.build_id);
  REQUIRE(std::filesystem::exists(file));
  {
    const ts::dwarf::Symbolizer s(getpid(), dir.path);
    CHECK(show(s.lookup(kPc)) == show(want));
    CHECK(show(s.lookup(kPc, true)) == show(want_ret));
    CHECK(show(s.lookup(kPc, false, false)) == show(ref.lookup(kPc, false, false)));  // symbols only
    CHECK_FALSE(dwarf_opened(s, kPc));  // answered from the kept sites
    CHECK(show(s.lookup(kPc + 1)) == show(ref.lookup(kPc + 1)));  // another address: read, then kept
    CHECK(dwarf_opened(s, kPc));
  }
}

TEST_CASE("a damaged site file is ignored and written again", "[stack][sym]") {
  const TempDir dir;
  const ts::dwarf::Symbolizer ref(getpid());
  const ts::dwarf::Site want = ref.lookup(kPc);
  const std::string file = ts::dwarf::SiteCache(dir.path).path(want.build_id);
  std::filesystem::create_directories(std::filesystem::path(file).parent_path());
  for (const char* bad : {"{\"version\":1,\"sites\":[[1,true,\"x\"]]}", "not json", "{\"version\":99,\"sites\":[]}"}) {
    INFO(bad);
    std::ofstream(file) << bad;
    {
      const ts::dwarf::Symbolizer s(getpid(), dir.path);
      CHECK(show(s.lookup(kPc)) == show(want));
    }
    std::ifstream in(file);
    const auto j = nlohmann::json::parse(in, nullptr, false);
    CHECK(j.is_object());
    CHECK(j.value("version", 0) == 1);
  }
  // A build-id that is not hex names no file.
  CHECK(ts::dwarf::SiteCache(dir.path).path("../../etc/x").empty());
  CHECK(ts::dwarf::SiteCache("").path(want.build_id).empty());
}

TEST_CASE("stack: the same dump cold and with kept sites", "[stack][e2e]") {
  const TempDir dir;
  ts::test::Fixture fx("stack_chain_cpp");
  const std::string pid = std::to_string(fx.pid());
  auto dump = [&] {
    const auto r = ts::test::run({"env", "XDG_CACHE_HOME=" + dir.path, ts::test::taskscope_bin(), "stack", pid});
    REQUIRE(r.status == 0);
    auto ls = ts::test::lines(r.out);
    REQUIRE(!ls.empty());
    ls.pop_back();  // "Longest stop: ..." differs from run to run
    // The spinning thread stands somewhere else each run (and in inlined code or not): only the
    // blocked threads' stacks are compared.
    std::vector<std::string> kept;
    bool spinner = false;
    for (const std::string& l : ls) {
      if (l.rfind("Thread ", 0) == 0) spinner = l.find("\"cpp-spinner\")") != std::string::npos;
      if (!spinner) kept.push_back(l);
    }
    return kept;
  };
  const auto cold = dump();
  REQUIRE(std::filesystem::exists(dir.path + "/taskscope/debug/sites"));
  const auto warm = dump();
  CHECK(warm == cold);
  CHECK(cold.size() > 10);
}
