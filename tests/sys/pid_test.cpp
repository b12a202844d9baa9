// pid_test.cpp: the one pid parser: decimal, positive, lists as ps(1) takes them.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "model/error.h"
#include "sys/pid.h"

using ts::sys::parse_pid;
using ts::sys::parse_pid_list;

namespace {

// usage_error() is the message parse_* threw with status 2, or "" when it did not throw.
template <class F>
std::string usage_error(F f) {
  try {
    f();
  } catch (const ts::Error& e) {
    CHECK(e.status() == 2);
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a pid is decimal: leading zeros are not octal, 0x is not a pid", "[sys][pid]") {
  CHECK(parse_pid("1", "PID") == 1);
  CHECK(parse_pid("010", "PID") == 10);
  CHECK(parse_pid("0000012", "PID") == 12);
  CHECK(parse_pid("2147483647", "PID") == 2147483647);
  for (const char* bad : {"0x10", "0", "00", "-1", "+1", "", " 1", "1 ", "1e3", "2147483648", "99999999999", "abc", "1.0"}) {
    INFO(bad);
    CHECK(usage_error([&] { parse_pid(bad, "PID"); }) != "");
  }
  CHECK(usage_error([] { parse_pid("0x10", "PID"); }) ==
        "PID: '0x10' is not a pid (expected a decimal number from 1 to 2147483647)");
}

TEST_CASE("a pid list takes commas, blanks and repeated flags, as ps -p does", "[sys][pid]") {
  using V = std::vector<int32_t>;
  CHECK(parse_pid_list({"1,2,3"}, "-p") == V{1, 2, 3});
  CHECK(parse_pid_list({"1 2\t3\n"}, "-p") == V{1, 2, 3});
  CHECK(parse_pid_list({"1, 2", " 3 "}, "-p") == V{1, 2, 3});
  CHECK(parse_pid_list({"1", "2"}, "-p") == V{1, 2});
  CHECK(parse_pid_list({"010"}, "-p") == V{10});
}

TEST_CASE("an empty pid list is a usage error, never every process", "[sys][pid]") {
  CHECK(usage_error([] { parse_pid_list({""}, "-p"); }) ==
        "-p: no pid given (an empty list selects nothing: is the process running?)");
  CHECK(usage_error([] { parse_pid_list({" "}, "-p"); }) != "");
  CHECK(usage_error([] { parse_pid_list({}, "-p"); }) != "");
  CHECK(usage_error([] { parse_pid_list({"1,,2"}, "-p") ; }).find("empty element in '1,,2'") != std::string::npos);
  CHECK(usage_error([] { parse_pid_list({"1,"}, "-p"); }) != "");
  CHECK(usage_error([] { parse_pid_list({"12,x"}, "-p"); }) ==
        "-p: 'x' is not a pid (expected positive decimal pids separated by commas or blanks)");
  CHECK(usage_error([] { parse_pid_list({"1,0"}, "--pid"); }).rfind("--pid: '0' is not a pid", 0) == 0);
}

TEST_CASE("pid_alive sees this process and not a pid beyond pid_max", "[sys][pid]") {
  CHECK(ts::sys::pid_alive(getpid()));
  CHECK_FALSE(ts::sys::pid_alive(99999999));
  CHECK_FALSE(ts::sys::pid_alive(0));
}

TEST_CASE("loadavg_total reads running/total and nothing else", "[sys][pid]") {
  using ts::sys::loadavg_total;
  CHECK(loadavg_total("0.52 0.58 0.59 2/532 12345\n") == 532);
  CHECK(loadavg_total("0.00 0.00 0.00 1/18446744073709551615 1") == 18446744073709551615ull);
  CHECK(loadavg_total("0.52 0.58 0.59 2 532 12345\n") == 0);   // no slash
  CHECK(loadavg_total("0.52 0.58 2/532 12345\n") == 0);        // a field short
  CHECK(loadavg_total("0.52 0.58 0.59 x/532 12345\n") == 0);
  CHECK(loadavg_total("0.52 0.58 0.59 2/") == 0);
  CHECK(loadavg_total("") == 0);
}

namespace {

// settled_total() is task_total() taken between two path reads of /proc/loadavg that agree (the
// machine's count did not move meanwhile), or nullopt when they never did in 200 tries.
std::optional<std::pair<uint64_t, uint64_t>> settled_total() {
  const auto path_read = [] {
    std::ifstream f("/proc/loadavg");
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return ts::sys::loadavg_total(text);
  };
  for (int i = 0; i < 200; ++i) {
    const uint64_t before = path_read();
    const uint64_t kept = ts::sys::task_total();
    if (path_read() == before) return std::make_pair(kept, before);
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("task_total follows the machine's task count call after call", "[sys][pid]") {
  const auto a = settled_total();
  REQUIRE(a);
  CHECK(a->first == a->second);
  CHECK(a->first > 0);
  // 32 more tasks: a second call must see them (a file read once and kept would not).
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i)
    threads.emplace_back([&] {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return done; });
    });
  const auto b = settled_total();
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  for (std::thread& t : threads) t.join();
  REQUIRE(b);
  CHECK(b->first == b->second);
}
