// stack_room_test.cpp: the default stack has room for ordinary C++ (std::regex, iostream
// formatting, a 32 KiB buffer) while a parked G still costs about one page, and a G that went deep
// gives its deep pages back when it finishes. Memory is read from /proc/self/smaps: the Rss of the
// stack arena's mappings, so nothing else the process allocates blurs it.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "goro/chan.h"
#include "goro/wait_group.h"
#include "leak_check.h"

using goro::test::run_checked;

namespace {

// arena_rss() is the resident bytes of the mappings inside the G stack arena (call from a G).
size_t arena_rss() {
  const uint64_t lo = goro::detail::seg.desc->arena_lo, hi = goro::detail::seg.desc->arena_hi;
  std::ifstream f("/proc/self/smaps");
  size_t kb = 0;
  bool inside = false;
  for (std::string line; std::getline(f, line);) {
    unsigned long long a = 0, b = 0;
    if (sscanf(line.c_str(), "%llx-%llx ", &a, &b) == 2)  // a mapping's first line; keys ("Rss:") do not parse
      inside = a >= lo && b <= hi;
    else if (inside && line.rfind("Rss:", 0) == 0)
      kb += strtoull(line.c_str() + 4, nullptr, 10);
  }
  return kb << 10;
}

// fresh_arena() makes the next run() with the default stack size map a new arena: the arena
// outlives run() while the stack size stays the same, with whatever earlier tests left resident.
void fresh_arena() {
  setenv("GORO_STACK_SIZE", "65536", 1);
  goro::run([] {});
  unsetenv("GORO_STACK_SIZE");
}

// settle() waits (up to 10 s) until only the main G is alive and every other stack is back in a
// pool: an exiting G gives its pages back in the context that runs after it.
void settle() {
  for (int i = 0; i < 10000 && (goro::test::live_goroutines() != 1 || goro::test::stacks_in_use() != 1); i++)
    goro::sleep_for(std::chrono::milliseconds(1));
}

// descend() recurses with ~200-byte frames (each writes its own) until the stack pointer is
// `bytes` below `top`, then parks on `release` after counting itself in `arrived`.
__attribute__((noinline)) int descend(uintptr_t top, size_t bytes, goro::wait_group& arrived, goro::chan<int>& release) {
  volatile char pad[160];
  pad[0] = 1;
  if (top - uintptr_t(&pad[0]) < bytes) return descend(top, bytes, arrived, release) + pad[0];
  arrived.done();
  release.recv();
  return pad[0];
}

}  // namespace

TEST_CASE("ordinary C++ runs on the default stack", "[goro][stack]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr int kG = 8;
  std::mutex mu;
  std::vector<std::string> got;
  auto r = run_checked(procs, [&] {
    goro::wait_group wg;
    wg.add(3 * kG);
    for (int i = 0; i < kG; i++) {
      goro::go([&, i] {  // std::regex: a search, and a match whose executor recurses per character
        std::regex email("([a-z0-9._%+-]+)@([a-z0-9.-]+)\\.([a-z]{2,})");
        std::smatch m;
        const std::string text = "write to user" + std::to_string(i) + "@example.com today";
        const std::string s = "a" + std::string(200, 'x') + "b";  // ~64 KiB of executor recursion
        const bool found = std::regex_search(text, m, email), matched = std::regex_match(s, std::regex("a(.*)b"));
        std::lock_guard<std::mutex> l(mu);
        got.push_back(found ? m[1].str() + (matched ? " matched" : " unmatched") : "no match");
        wg.done();
      });
      goro::go([&, i] {  // iostream formatting
        std::ostringstream o;
        o << std::setprecision(10) << 3.14159265358979 * i << ' ' << std::hex << std::showbase << 255 * i << ' '
          << std::setw(8) << std::setfill('.') << "x";
        std::lock_guard<std::mutex> l(mu);
        got.push_back(o.str());
        wg.done();
      });
      goro::go([&, i] {  // a 32 KiB formatting buffer on the stack
        char buf[32 << 10];
        memset(buf, 'y', sizeof buf);
        snprintf(buf, sizeof buf, "buffer %d of %zu bytes", i, sizeof buf);
        std::lock_guard<std::mutex> l(mu);
        got.push_back(buf);
        wg.done();
      });
    }
    wg.wait();
  });
  REQUIRE(got.size() == size_t(3 * kG));
  for (int i = 0; i < kG; i++) {
    CHECK(std::count(got.begin(), got.end(), "user" + std::to_string(i) + " matched") == 1);
    std::ostringstream o;
    o << std::setprecision(10) << 3.14159265358979 * i << ' ' << std::hex << std::showbase << 255 * i << ' '
      << std::setw(8) << std::setfill('.') << "x";
    CHECK(std::count(got.begin(), got.end(), o.str()) == 1);
    CHECK(std::count(got.begin(), got.end(), "buffer " + std::to_string(i) + " of 32768 bytes") == 1);
  }
  REQUIRE_NO_LEAKS(r);
}

// 2000 Gs parked in a channel receive: the arena's resident memory grows by about one page each.
TEST_CASE("a parked G costs about one page of the arena", "[goro][stack]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr int kG = 2000;
  size_t before = 0, parked = 0;
  fresh_arena();
  auto r = run_checked(procs, [&] {
    goro::chan<int> block;
    goro::wait_group wg;
    wg.add(kG);
    before = arena_rss();
    for (int i = 0; i < kG; i++)
      goro::go([&wg, block]() mutable {
        wg.done();
        block.recv();
      });
    wg.wait();
    goro::sleep_for(std::chrono::milliseconds(1));  // the last ones reach recv()
    parked = arena_rss();
    block.close();
  });
  const double per_g = double(parked - before) / kG;
  INFO("arena RSS per parked G: " << per_g << " bytes");
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  CHECK(per_g <= 3 * 4096.0);  // instrumented frames are larger
#else
  CHECK(per_g <= 1.25 * 4096);
#endif
  CHECK(per_g >= 0.9 * 4096);  // each has a page of its own: the measure sees them
  REQUIRE_NO_LEAKS(r);
}

// 16 Gs recurse ~96 KiB deep at once (16 distinct stacks, ~1.5 MiB resident), then finish: their
// stacks keep at most the top 32 KiB (plus the page that marks it), so the arena shrinks back.
TEST_CASE("a G that went deep gives its pages back when it finishes", "[goro][stack]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr int kG = 16;
  constexpr size_t kDeep = 96 << 10, kKept = (32 << 10) + 4096;
  size_t before = 0, deep = 0, after = 0;
  fresh_arena();
  auto r = run_checked(procs, [&] {
    settle();
    before = arena_rss();
    goro::wait_group arrived, done;
    goro::chan<int> release;
    arrived.add(kG);
    done.add(kG);
    for (int i = 0; i < kG; i++)
      goro::go([&] {
        int top = 0;
        descend(uintptr_t(&top), kDeep, arrived, release);
        done.done();
      });
    arrived.wait();
    deep = arena_rss();
    release.close();
    done.wait();
    settle();
    after = arena_rss();
  });
  INFO("arena RSS before " << before << ", all deep " << deep << ", after they finished " << after);
  CHECK(deep >= before + kG * (kDeep - (8 << 10)));  // they did go deep
  CHECK(after <= before + kG * kKept);
  REQUIRE_NO_LEAKS(r);
}
