// sysmon_test.cpp: sysmon backs off like Go's: an idle runtime (every G asleep, or blocked in a
// syscall whose P was handed off) costs no sysmon wakeups once it has settled. Counted with
// sysmon's own tick counter, sampled from a plain thread while the Gs sleep, not with CPU time, so
// the assertion does not depend on how loaded the machine is.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "goro/syscall.h"
#include "leak_check.h"

using goro::test::run_checked;
using goro::test::sysmon_ticks;

namespace {

using std::chrono::milliseconds;

// IdleWindow is sysmon's tick count over [settle, settle+window) of an idle stretch, read from a
// thread that is not part of the runtime. A sysmon with no backoff ticks every 20 us (10000 ticks
// in 200 ms), one stuck at Go's 10 ms cap 20 times; one in sysmonwait not at all.
struct IdleWindow {
  uint64_t ticks = ~0ull;
  void sample(milliseconds settle, milliseconds window) {
    std::this_thread::sleep_for(settle);
    uint64_t a = sysmon_ticks();
    std::this_thread::sleep_for(window);
    ticks = sysmon_ticks() - a;
  }
};

constexpr milliseconds kSettle{300}, kWindow{200};  // settle: slack for a loaded machine
constexpr uint64_t kMaxIdleTicks = 4;  // a spurious wakeup or two, the window's edges

}  // namespace

TEST_CASE("sysmon sleeps while every G sleeps", "[goro][sysmon]") {
  int procs = GENERATE(1, 2, 4, 8);
  IdleWindow w;
  std::thread sampler;
  auto r = run_checked(procs, [&] {
    sampler = std::thread([&] { w.sample(kSettle, kWindow); });
    goro::sleep_for(kSettle + kWindow + milliseconds(100));
    // Joined inside the runtime: the sampler reads the segment, which run() unmaps on return.
    goro::syscall([&] {
      sampler.join();
      return 0;
    });
  });
  INFO("procs " << procs << ": " << w.ticks << " sysmon ticks in 200 ms with every G asleep");
  CHECK(w.ticks <= kMaxIdleTicks);
  REQUIRE_NO_LEAKS(r);
}

TEST_CASE("sysmon hands off a blocked syscall's P, then sleeps until it returns", "[goro][sysmon][syscall]") {
  int procs = GENERATE(1, 2, 4, 8);
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  IdleWindow w;
  ssize_t got = -2;
  bool other_ran = false;
  std::thread writer;
  auto r = run_checked(procs, [&] {
    writer = std::thread([&] {
      w.sample(kSettle, kWindow);
      char c = 'x';
      if (::write(fds[1], &c, 1) != 1) _exit(3);
    });
    goro::go([&] { other_ran = true; });  // with 1 P it runs only once the blocked G's P is handed off
    char b;
    got = goro::syscall([&] { return ::read(fds[0], &b, 1); });
    goro::syscall([&] {  // inside the runtime: the writer read the segment, unmapped when run() returns
      writer.join();
      return 0;
    });
  });
  close(fds[0]);
  close(fds[1]);
  INFO("procs " << procs << ": " << w.ticks << " sysmon ticks in 200 ms with the only busy G blocked in read()");
  CHECK(got == 1);
  CHECK(other_ran);
  CHECK(w.ticks <= kMaxIdleTicks);
  REQUIRE_NO_LEAKS(r);
}
