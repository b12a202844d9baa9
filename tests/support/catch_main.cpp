// catch_main.cpp: Catch2's main, compiled once for every test binary. It also sends the last screen
// of a tmux wait that timed out along with the next assertion (UNSCOPED_INFO), so a failing screen
// test shows what was on the screen.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "tmux.h"

namespace {

const bool kTmuxTimeoutsReported = [] {
  ts::test::TmuxSession::on_timeout = [](const std::string& what) { UNSCOPED_INFO(what); };
  return true;
}();

}  // namespace
