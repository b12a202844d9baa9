// go_reader_test.cpp: read_go() against a live Go program (tests/fixtures/go_gmp_target): what it
// reads, and what it does when the program dies between reading its executable and its memory.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "../support/support.h"
#include "gort/go_reader.h"
#include "gort/remote_memory.h"

using nlohmann::json;

namespace {

// zombie() tells whether pid has exited (and waits, unreaped, for its parent).
bool zombie(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

}  // namespace

TEST_CASE("read_go reads a Go program's Gs, Ms and Ps", "[gort][e2e]") {
  ts::test::Fixture fx("go_gmp_target", {"2", "procs=2"});
  const json facts = json::parse(fx.facts());
  CHECK(ts::gort::is_go_program(fx.pid()));
  const ts::GoroSnapshot s = ts::gort::read_go(fx.pid());
  CHECK(s.pid == fx.pid());
  CHECK(s.runtime == facts["go_version"]);
  CHECK(s.gomaxprocs == 2);
  CHECK(s.ps.size() == 2);
  CHECK(s.torn == 0);
  for (const json& id : facts["chan_receive"]) {
    const ts::GoroG* g = s.find_g(id.get<uint64_t>());
    REQUIRE(g);
    CHECK(g->state == ts::GState::Waiting);
    CHECK(g->wait_reason == ts::WaitReason::ChanRecv);
    CHECK(g->stack_lo < g->stack_hi);
    CHECK(g->sp >= g->stack_lo);
    CHECK(g->sp < g->stack_hi);
    CHECK_FALSE(g->system);
  }
  const ts::GoroG* main = s.find_g(facts["main"]);
  REQUIRE(main);
  CHECK(main->main);
  CHECK(main->state == ts::GState::Syscall);
  CHECK(main->m_id >= 0);  // a G in a syscall keeps its M
  CHECK_FALSE(ts::gort::is_go_program(getpid()));
}

TEST_CASE("read_go on a Go program that exits between its executable and its memory: Gone", "[gort]") {
  ts::test::Fixture fx("go_gmp_target", {"1"});
  const int pid = fx.pid();
  ts::gort::GoReadOptions o;
  o.after_binary = [pid] {
    kill(pid, SIGKILL);
    for (int i = 0; i < 500 && !zombie(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };
  CHECK_THROWS_AS(ts::gort::read_go(pid, o), ts::Gone);
  CHECK_THROWS_WITH(ts::gort::read_go(pid), Catch::StartsWith("no process with pid " + std::to_string(pid)));
}

TEST_CASE("RemoteMemory refuses addresses outside the target's readable mappings", "[gort]") {
  ts::test::Fixture fx("go_gmp_target", {"1"});
  const ts::gort::RemoteMemory mem(fx.pid());
  CHECK_FALSE(mem.readable(0, 8));
  CHECK_FALSE(mem.readable(0xfffffffffffffff0ull, 32));  // wraps
  CHECK_FALSE(mem.readable(0x400000, 0));
  CHECK(mem.readable(0x400000, 8));  // the non-PIE Go executable's first page
  uint64_t v = 0;
  CHECK(mem.read(0x400000, &v, sizeof v));
  CHECK(v == 0x00010102464c457full);  // "\x7fELF", 64-bit, little-endian, version 1
  CHECK_FALSE(mem.read(8, &v, sizeof v));
  // Records are visited in address order; neighbours are read as one range, a wild one is not.
  std::vector<std::pair<size_t, uint64_t>> seen;  // (index, first 8 bytes or 0 for unreadable)
  mem.read_records({0x400008, 8, 0x400000}, 8, [&](size_t i, const uint8_t* bytes) {
    uint64_t w = 0;
    if (bytes) std::memcpy(&w, bytes, 8);
    seen.emplace_back(i, w);
  });
  uint64_t second = 0;
  REQUIRE(mem.read(0x400008, &second, 8));
  CHECK(seen == std::vector<std::pair<size_t, uint64_t>>{{1, 0}, {2, 0x00010102464c457full}, {0, second}});
}

TEST_CASE("RemoteMemory reads memory the target mapped after the reader was made", "[gort]") {
  // This process is the target: what it maps after the reader is made is what a Go program's heap
  // arenas are to a reader kept across top's passes.
  const ts::gort::RemoteMemory mem(getpid());
  const size_t len = 2 * static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(p != MAP_FAILED);
  const uint64_t pattern = 0x5eedf00dcafe1234ull;
  std::memcpy(static_cast<char*>(p) + len - 8, &pattern, 8);
  const uint64_t at = reinterpret_cast<uint64_t>(p) + len - 8;
  // A miss re-reads the maps only once the last read is kRefreshNs old.
  std::this_thread::sleep_for(std::chrono::nanoseconds(2 * ts::gort::RemoteMemory::kRefreshNs));
  uint64_t v = 0;
  CHECK(mem.read(at, &v, sizeof v));
  CHECK(v == pattern);
  std::vector<uint64_t> got;
  mem.read_records({at}, 8, [&](size_t, const uint8_t* bytes) {
    uint64_t w = 0;
    if (bytes) std::memcpy(&w, bytes, 8);
    got.push_back(w);
  });
  CHECK(got == std::vector<uint64_t>{pattern});
  munmap(p, len);
  // Wild addresses do not re-read the maps each time: at most once per kRefreshNs.
  const uint64_t before = mem.refreshes();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000; ++i) CHECK_FALSE(mem.readable(8 + 4096 * static_cast<uint64_t>(i), 8));
  const auto spent = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  CHECK(mem.refreshes() - before <= static_cast<uint64_t>(spent) / ts::gort::RemoteMemory::kRefreshNs + 1);
}
