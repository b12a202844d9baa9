// pid_test.cpp: the one pid parser: decimal, positive, lists as ps(1) takes them.
#include <catch2/catch.hpp>

#include <unistd.h>

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
