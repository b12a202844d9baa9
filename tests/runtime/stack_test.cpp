// stack_test.cpp: arena stacks: overflow dies with a clear message naming the G that overflowed,
// whether by deep recursion or by one frame far larger than the stack; no frame clashes silently
// with a neighbour's stack; stacks are reused warm; guards are installed the cheap way on this
// kernel; the arena holds a million default stacks; GORO_STACK_SIZE is honoured.
#include <signal.h>
#include <sys/utsname.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "leak_check.h"
#include "../support/support.h"

using goro::test::run_checked;

TEST_CASE("a stack overflow dies naming the goroutine and its stack", "[goro][stack]") {
  auto r = ts::test::run({ts::test::fixture_path("goro_overflow")});
  INFO(r.err);
  CHECK(r.status == 128 + 11);  // SIGSEGV after the message, with a core if enabled
  auto at = r.err.find("goro: stack overflow in goroutine ");
  REQUIRE(at != std::string::npos);
  unsigned long long id = 0, lo = 0, hi = 0;
  int end = 0;
  REQUIRE(sscanf(r.err.c_str() + at, "goro: stack overflow in goroutine %llu (stack [0x%llx,0x%llx))%n", &id, &lo, &hi,
                 &end) == 3);
  CHECK(end > 0);
  CHECK(id == 2);
  CHECK(hi > lo);
  CHECK(hi - lo <= 1u << 20);
}

// One frame larger than the room left: goroutine 2's function has a 36, 40, 64 KiB or 1 MiB local
// array and writes only its first bytes, while goroutine 1 (the slot below) is parked. It must die
// by SIGSEGV naming goroutine 2 and its stack, never return (before the guard was widened and the
// code built with -fstack-clash-protection, 36 and 40 KiB returned after writing over goroutine 1's
// stack, and 64 KiB named goroutine 1). goro_overflow_noprobe is built without stack-clash probes:
// the 64 KiB guard gap alone catches frames up to its width.
TEST_CASE("a frame larger than the stack dies naming its goroutine, never clashes silently", "[goro][stack]") {
  auto [fixture, stack, kib] = GENERATE(table<std::string, std::string, int>({
      {"goro_overflow_frame", "16384", 36},
      {"goro_overflow_frame", "16384", 40},
      {"goro_overflow_frame", "16384", 64},
      {"goro_overflow_frame", "16384", 1024},
      {"goro_overflow_frame", "", 1024},  // the default stack
      {"goro_overflow_noprobe", "16384", 36},
      {"goro_overflow_noprobe", "16384", 40},
      {"goro_overflow_noprobe", "16384", 64},
  }));
  std::string procs = GENERATE("1", "2", "4", "8");
  std::vector<std::string> argv = {"/usr/bin/env", "GORO_MAXPROCS=" + procs};
  if (!stack.empty()) argv.push_back("GORO_STACK_SIZE=" + stack);
  argv.push_back(ts::test::fixture_path(fixture));
  argv.push_back(std::to_string(kib));
  auto r = ts::test::run(argv);
  INFO(fixture << " GORO_STACK_SIZE=" << stack << " frame " << kib << " KiB, " << procs << " Ps\nstdout " << r.out
                << "stderr " << r.err);
  CHECK(r.status == 128 + SIGSEGV);
  CHECK(r.out.find("returned") == std::string::npos);
  const auto facts = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  CHECK(facts.at("culprit") == 2);
  const auto at = r.err.find("goro: stack overflow in goroutine ");
  REQUIRE(at != std::string::npos);
  unsigned long long id = 0, lo = 0, hi = 0;
  REQUIRE(sscanf(r.err.c_str() + at, "goro: stack overflow in goroutine %llu (stack [0x%llx,0x%llx))", &id, &lo, &hi) == 3);
  CHECK(id == 2);
  CHECK(lo == facts.at("stack")[0].get<unsigned long long>());
  CHECK(hi == facts.at("stack")[1].get<unsigned long long>());
}

// The same frames that fit the default stack return normally and leave the parked neighbour alone.
TEST_CASE("frames of 36, 40 and 64 KiB fit the default stack", "[goro][stack]") {
  int kib = GENERATE(36, 40, 64);
  std::string procs = GENERATE("1", "2", "4", "8");
  auto r = ts::test::run({"/usr/bin/env", "GORO_MAXPROCS=" + procs, ts::test::fixture_path("goro_overflow_frame"),
                          std::to_string(kib)});
  INFO(kib << " KiB, " << procs << " Ps\nstdout " << r.out << "stderr " << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("{\"returned\":true,\"neighbour_intact\":true}") != std::string::npos);
}

TEST_CASE("stacks are pooled and reused warm", "[goro][stack]") {
  int procs = GENERATE(1, 2, 4, 8);
  std::set<uintptr_t> stacks;
  uint32_t carved = 0;
  auto r = run_checked(procs, [&] {
    std::mutex mu;
    for (int i = 0; i < 5000; i++) {
      std::atomic<bool> done{false};
      goro::go([&] {
        uintptr_t lo, hi;
        goro::test::self_stack(&lo, &hi);
        std::lock_guard<std::mutex> l(mu);
        stacks.insert(lo);
        done = true;
      });
      while (!done.load()) goro::yield();
    }
    carved = goro::test::stack_slots_carved();
  });
  // One G at a time, 5000 times: the pools hand stacks back instead of carving new ones. A P keeps
  // up to 64 dead Gs before it moves half to the global pool, so a thief P may hold that many.
  // Slots are carved in doubling batches, so at most twice what was needed is carved.
  if (procs == 1) CHECK(carved <= 2u);
  CHECK(carved <= 2 * (uint32_t(procs) * 64 + 2));
  CHECK(stacks.size() <= size_t(carved));
  REQUIRE_NO_LEAKS(r);
}

TEST_CASE("guards use MADV_GUARD_INSTALL where the kernel has it; GORO_STACK_SIZE is honoured", "[goro][stack]") {
  setenv("GORO_STACK_SIZE", "65536", 1);
  uint32_t guard_kind = 0, stack_size = 0;
  uintptr_t lo = 0, hi = 0;
  auto r = run_checked(2, [&] {
    guard_kind = goro::detail::seg.desc->guard_kind;
    stack_size = goro::detail::seg.desc->stack_size;
    goro::test::self_stack(&lo, &hi);
  });
  unsetenv("GORO_STACK_SIZE");
  utsname u;
  uname(&u);
  int major = 0, minor = 0;
  sscanf(u.release, "%d.%d", &major, &minor);
  if (major > 6 || (major == 6 && minor >= 13)) CHECK(guard_kind == 2u);
  else CHECK(guard_kind == 1u);
  CHECK(stack_size == 65536u);
  CHECK(hi - lo <= 65536u);
  CHECK(hi - lo >= 65536u - 4096u);  // the G struct sits at the top (at one of 16 offsets)
  REQUIRE_NO_LEAKS(r);
}

// The arena's published shape: [guard | stack] slots, a guard a frame of ordinary size cannot step
// over, and room for at least a million default stacks (the G table is sized per slot).
TEST_CASE("the arena holds a million default stacks behind 64 KiB guards", "[goro][stack]") {
  goro_abi_desc d{};
  auto r = run_checked(1, [&] {  // the static fields only: sysmon writes its counters meanwhile
    const goro_abi_desc& s = *goro::detail::seg.desc;
    d.guard_size = s.guard_size, d.slot_size = s.slot_size, d.stack_size = s.stack_size;
    d.arena_lo = s.arena_lo, d.arena_hi = s.arena_hi, d.g_cap = s.g_cap;
  });
  CHECK(d.guard_size >= 64u << 10);
  CHECK(d.slot_size == d.stack_size + d.guard_size);
  CHECK(d.slot_size / 4096 % 2 == 1);  // an odd page stride spreads the slots over the cache sets
  CHECK(d.arena_hi - d.arena_lo >= uint64_t(d.g_cap) * d.slot_size);
#if !defined(__SANITIZE_THREAD__)  // TSan keeps the arena small (it allows 8128 fibers anyway)
  CHECK(d.g_cap >= 1u << 20);
#endif
  REQUIRE_NO_LEAKS(r);
}
