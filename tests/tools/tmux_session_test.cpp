// tmux_session_test.cpp: the harness full-screen tests stand on: keys reach the program, the
// screen comes back, resize and exit status are seen.
#include <catch2/catch.hpp>

#include "../support/support.h"
#include "../support/tmux.h"

using namespace ts::test;

TEST_CASE("TmuxSession sends keys, reads the screen, resizes and sees the exit status", "[tmux]") {
  REQUIRE(tmux_usable());
  TmuxSession s({"sh", "-c", "echo \"hello $GREETING\"; read x; stty size; read y; exit 3"}, 40, 10,
                {"GREETING=tmux"});
  REQUIRE(s.wait_for_text("hello tmux"));
  CHECK(s.alive());
  CHECK(s.pid() > 0);
  s.send("one", true);
  s.send("Enter");
  REQUIRE(s.wait_for_text("10 40"));  // stty size: rows cols
  s.resize(30, 8);
  s.send("Enter");
  REQUIRE(s.wait_for([&](const std::string&) { return s.exit_status() != -1; }));
  CHECK_FALSE(s.alive());
  CHECK(s.exit_status() == 3);
  CHECK(s.screen().size() == 8);
}

TEST_CASE("TmuxSession sees a program killed by a signal end, as status 128 + the signal", "[tmux]") {
  // tmux leaves #{pane_dead_status} empty then: a crash on exit once looked like a program that
  // never ended (a screen test waited its whole timeout for q to end top).
  REQUIRE(tmux_usable());
  TmuxSession s({"sh", "-c", "echo up; read x; kill -SEGV $$"}, 40, 10);
  REQUIRE(s.wait_for_text("up"));
  s.send("Enter");
  REQUIRE(s.wait_for([&](const std::string&) { return s.exit_status() != -1; }));
  CHECK(s.exit_status() == 128 + 11);
}
