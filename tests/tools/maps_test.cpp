// maps_test.cpp: `taskscope maps` against the segments fixture, which reports its own addresses.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "maps_view.h"
#include "model/error.h"
#include "procfs/maps_elf.h"
#include "procfs/maps_reader.h"
#include "maps_test_util.h"
#include "registry.h"
#include "../support/support.h"

using nlohmann::json;
using namespace ts;
using test::addr;
using test::cli;
using test::CliResult;
using test::segment_at;

namespace {

// size_bss() is the bss column of size(1)'s output for `file`.
uint64_t size_bss(const std::string& file) {
  const test::RunResult r = test::run({"/usr/bin/size", file});
  REQUIRE(r.status == 0);
  const std::vector<std::string> lines = test::lines(r.out);
  REQUIRE(lines.size() == 2);
  const std::vector<std::string> cols = test::words(lines[1]);
  REQUIRE(cols.size() >= 3);
  return std::stoull(cols[2]);
}

// unused_pid() is a pid with no process behind it right now.
pid_t unused_pid() {
  for (pid_t p = 4242;; ++p)
    if (kill(p, 0) != 0 && errno == ESRCH) return p;
}

}  // namespace

TEST_CASE("maps classifies the segments fixture's bss, data, heap and stacks", "[maps][tools]") {
  test::Fixture f("segments");
  const json facts = json::parse(f.facts());
  const CliResult r = cli({"maps", std::to_string(f.pid()), "--json"});
  INFO(r.err);
  REQUIRE(r.status == 0);

  const test::MapsJson m = test::parse_maps_json(r.out);
  const std::vector<json>& segs = m.segments;
  const json& summary = m.summary;
  REQUIRE(segs.size() > 10);

  SECTION("the 1 MiB array is bss: the data page's tail plus an anonymous mapping") {
    const uint64_t a = facts["bss_addr"], n = facts["bss_size"];
    CHECK(segment_at(segs, a + n / 2)["kind"] == "bss");
    CHECK(segment_at(segs, a + n - 1)["kind"] == "bss");
    uint64_t bss_mapped = 0;
    for (const json& s : segs)
      if (s["kind"] == "bss") bss_mapped += s["size"].get<uint64_t>();
    CHECK(bss_mapped + summary["bss"]["in_data_page"].get<uint64_t>() >= n);
    CHECK(bss_mapped <= n + 2 * 4096);  // page rounding only
    CHECK(addr(summary["bss"]["start"]) <= a);
    CHECK(a + n <= addr(summary["bss"]["end"]));
  }
  SECTION("the bss's parts add up to its size, which is size(1)'s bss") {
    const json& b = summary["bss"];
    const uint64_t size = b["size"];
    REQUIRE(b.contains("in_anonymous"));
    REQUIRE(b.contains("unmapped"));
    CHECK(size == size_bss(test::fixture_path("segments")));
    CHECK(size == addr(b["end"]) - addr(b["start"]));
    CHECK(b["in_data_page"].get<uint64_t>() + b["in_anonymous"].get<uint64_t>() + b["unmapped"].get<uint64_t>() == size);
    CHECK(b["unmapped"] == 0);
    CHECK(b["in_data_page"].get<uint64_t>() < 4096);
    const uint64_t mapped = b["anonymous"], in_anon = b["in_anonymous"];
    CHECK(in_anon <= mapped);
    CHECK(mapped - in_anon < 4096);  // page rounding only
    CHECK(mapped % 4096 == 0);
  }
  SECTION("the 64 KiB initialised array is data") {
    const uint64_t a = facts["data_addr"], n = facts["data_size"];
    CHECK(segment_at(segs, a)["kind"] == "data");
    CHECK(segment_at(segs, a + n - 1)["kind"] == "data");
  }
  SECTION("the malloc'd block is in the heap") {
    const uint64_t a = facts["heap_addr"], n = facts["heap_size"];
    if (facts["asan"].get<bool>()) {
      WARN("ASan build: its malloc does not use brk, so the block is checked to be anon, not heap");
      CHECK(segment_at(segs, a)["kind"] == "anon");
    } else {
      CHECK(segment_at(segs, a)["kind"] == "heap");
      CHECK(segment_at(segs, a + n - 1)["kind"] == "heap");
      CHECK(addr(summary["layout"]["start_brk"]) <= a);
      CHECK(a + n <= addr(summary["layout"]["brk"]));
    }
  }
  SECTION("each thread's stack variable is in a thread-stack with its tid, a guard page below") {
    REQUIRE(facts["threads"].size() == 2);
    for (const json& t : facts["threads"]) {
      const json& s = segment_at(segs, t["stack_addr"].get<uint64_t>());
      CHECK(s["kind"] == "thread-stack");
      CHECK(s["tid"] == t["tid"]);
      const uint64_t size = s["size"], want = t["stack_size"];
      CHECK(size + 8192 >= want);
      CHECK(size <= want + 8192);
      const json& g = segment_at(segs, addr(s["start"]) - 1);
      CHECK(g["kind"] == "guard");
      CHECK(g["tid"] == t["tid"]);
    }
    CHECK(summary["thread_stacks"]["count"] == 2);
    const json& main = segment_at(segs, facts["main_stack_addr"].get<uint64_t>());
    CHECK(main["kind"] == "stack");
    CHECK(main["tid"] == facts["pid"]);
  }
  SECTION("text and libc are where they belong") {
    CHECK(summary["kinds"]["text"]["mappings"].get<int>() >= 1);
    bool libc = false;
    for (const json& l : summary["libraries"]) libc |= l["name"] == "libc.so.6";
    CHECK(libc);
    CHECK(summary["exe"] == test::fixture_path("segments"));
  }
}

TEST_CASE("maps of a process whose main thread exited reads a live thread's address space", "[maps][tools]") {
  test::Fixture f("zombie_leader");
  const json facts = json::parse(f.facts());
  REQUIRE(facts["leader_state"] == "Z");
  const CliResult r = cli({"maps", std::to_string(f.pid()), "--json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const test::MapsJson m = test::parse_maps_json(r.out);
  CHECK(segment_at(m.segments, facts["bss_addr"].get<uint64_t>() + facts["bss_size"].get<uint64_t>() / 2)["kind"] == "bss");
  for (const json& t : facts["threads"]) {
    const json& s = segment_at(m.segments, t["stack_addr"].get<uint64_t>());
    CHECK(s["kind"] == "thread-stack");
    CHECK(s["tid"] == t["tid"]);
  }
  CHECK(m.summary["exe"] == test::fixture_path("zombie_leader"));
  CHECK(m.summary["kinds"]["text"]["mappings"].get<int>() >= 1);
  CHECK(addr(m.summary["layout"]["start_code"]) != 0);  // from the live thread's stat, not the zombie's zeros
  CHECK(r.err.find("has exited; the address space is read through thread") != std::string::npos);
  CHECK(r.err.find("in no mapping") == std::string::npos);  // the zombie's sp (0) is no stack pointer
}

TEST_CASE("maps prints size(1)'s line for the executable, then segments and totals", "[maps][tools]") {
  test::Fixture f("segments");
  const test::RunResult r = test::run({test::taskscope_bin(), "maps", std::to_string(f.pid())});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const test::RunResult size = test::run({"/usr/bin/size", test::fixture_path("segments")});
  REQUIRE(size.status == 0);
  CHECK(r.out.substr(0, size.out.size()) == size.out);
  CHECK(r.out.find("START-END") != std::string::npos);
  CHECK(r.out.find("thread stacks: 2, ") != std::string::npos);
  CHECK(r.out.find("(bss)") != std::string::npos);
  // The bss line gives exact bytes whose parts add up to the total, and the total is size(1)'s.
  std::string bss_line;
  for (const std::string& l : test::lines(r.out))
    if (l.rfind("bss: ", 0) == 0) bss_line = l;
  INFO(bss_line);
  unsigned long long total = 0, in_page = 0, in_anon = 0;
  char at[32];
  REQUIRE(std::sscanf(bss_line.c_str(), "bss: %llu bytes at %31s = %llu in the data mapping's last page + %llu in", &total,
                      at, &in_page, &in_anon) == 4);
  CHECK(total == size_bss(test::fixture_path("segments")));
  CHECK(in_page + in_anon == total);
  CHECK(r.out.find("shared libraries: ") != std::string::npos);
}

TEST_CASE("the size line agrees with size(1) on system binaries and libraries", "[maps][tools]") {
  for (const char* p : {"/usr/bin/size", "/bin/cat", "/usr/lib/x86_64-linux-gnu/libc.so.6"}) {
    INFO(p);
    const test::RunResult size = test::run({"/usr/bin/size", p});
    REQUIRE(size.status == 0);
    CHECK(tools::size_lines(read_elf_image(p).size, p) == size.out);
  }
  CHECK_THROWS_AS(read_elf_image("/proc/self/status"), Error);
  CHECK_THROWS_AS(read_elf_image("/nonexistent/x"), Error);
}

TEST_CASE("maps: unknown pid, bad flag, missing pid, help", "[maps][tools]") {
  const pid_t p = unused_pid();
  const test::RunResult r = test::run({test::taskscope_bin(), "maps", std::to_string(p)});
  CHECK(r.status == 1);
  CHECK(r.err == "taskscope: no process with pid " + std::to_string(p) + "\n");
  CHECK(r.out.empty());
  CHECK(test::run({test::taskscope_bin(), "maps", "--bogus", "1"}).status == 2);
  CHECK(test::run({test::taskscope_bin(), "maps"}).status == 2);
  CHECK(test::run({test::taskscope_bin(), "maps", "notapid"}).status == 2);
  const test::RunResult h = test::run({test::taskscope_bin(), "maps", "--help"});
  CHECK(h.status == 0);
  CHECK(h.out.find("--json") != std::string::npos);
  const CliResult k = cli({"maps", "2"});  // kthreadd: no address space
  CHECK(k.status == 1);
  CHECK(k.err.find("has no address space") != std::string::npos);
}

TEST_CASE("maps of a process it may not trace names the file and shows what status tells", "[maps][tools]") {
  if (geteuid() != 0) {
    WARN("SKIPPED: needs root to run taskscope as another user");
    return;
  }
  test::Fixture f("segments");
  const std::string pid = std::to_string(f.pid());
  const test::RunResult r = test::run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                       test::taskscope_bin(), "maps", pid});
  CHECK(r.status == 1);
  CHECK(r.err == "taskscope: cannot read /proc/" + pid + "/maps: permission denied (needs root or CAP_SYS_PTRACE)\n");
  CHECK(r.out.find("VmSize") != std::string::npos);
  CHECK(r.out.find("VmStk") != std::string::npos);
}

TEST_CASE("maps of processes that exit while being read fails cleanly", "[maps][tools]") {
  int ok = 0, gone = 0;
  for (int i = 0; i < 30; ++i) {
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      usleep(static_cast<useconds_t>(200 * (i % 5)));
      _exit(0);
    }
    for (int round = 0; round < 3; ++round) {
      try {
        read_process_maps(child);
        ++ok;
      } catch (const Error& e) {
        const std::string m = e.what();
        CHECK((m == "no process with pid " + std::to_string(child) || m.find("has no address space") != std::string::npos));
        ++gone;
      }
      if (round == 1) waitpid(child, nullptr, 0);
    }
  }
  CHECK(gone > 0);  // at least the reads after the reap
  INFO("read while alive: " << ok);
}
