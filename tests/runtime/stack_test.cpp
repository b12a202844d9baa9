// stack_test.cpp: arena stacks: overflow dies with a clear message, stacks are reused warm,
// guards are installed the cheap way on this kernel, GORO_STACK_SIZE is honoured.
#include <sys/utsname.h>

#include <atomic>
#include <catch2/catch.hpp>
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
  CHECK(hi - lo >= 65536u - 1024u);  // the G struct sits at the top
  REQUIRE_NO_LEAKS(r);
}
