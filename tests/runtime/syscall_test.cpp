// syscall_test.cpp: a G blocked in a long read() inside goro::syscall does not stall the others:
// sysmon hands its P to another M (Go's handoffp), with 1 P as the hard case.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>

#include "goro/syscall.h"
#include "leak_check.h"

using goro::test::run_checked;

TEST_CASE("a G blocked in a syscall does not stall the other Gs", "[goro][syscall]") {
  int procs = GENERATE(1, 2, 4, 8);
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::atomic<bool> reader_returned{false};
  std::atomic<int> others{0};
  bool others_ran_while_blocked = false;
  ssize_t got = -2, wrote = -2;
  char byte = 0;
  auto r = run_checked(procs, [&] {
    goro::go([&] {
      got = goro::syscall([&] { return ::read(fds[0], &byte, 1); });
      reader_returned = true;
    });
    goro::yield();  // with 1 P the reader now holds the only M that had the P, blocked in read()
    for (int i = 0; i < 100; i++)
      goro::go([&] {
        goro::yield();
        others++;
      });
    while (others.load() < 100) goro::yield();
    others_ran_while_blocked = !reader_returned.load();
    char c = 'x';
    wrote = ::write(fds[1], &c, 1);
    while (!reader_returned.load()) goro::sleep_for(std::chrono::microseconds(100));
  });
  close(fds[0]);
  close(fds[1]);
  CHECK(others_ran_while_blocked);
  CHECK(wrote == 1);
  CHECK(got == 1);
  CHECK(byte == 'x');
  REQUIRE_NO_LEAKS(r);
}

TEST_CASE("goro::syscall passes results through, also outside a G", "[goro][syscall]") {
  CHECK(goro::syscall([] { return 42; }) == 42);
  int v = 0;
  auto r = run_checked(1, [&] { v = goro::syscall([] { return ::getpid() > 0 ? 7 : 0; }); });
  CHECK(v == 7);
  REQUIRE_NO_LEAKS(r);
}
