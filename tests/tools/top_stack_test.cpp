// top_stack_test.cpp: the dumps of top's stack pane (s): taken off the UI thread by StackCapture,
// as `taskscope stack PID [-t TID]` prints them, and one line when they cannot be taken.
#include <catch2/catch.hpp>

#include <poll.h>

#include <nlohmann/json.hpp>

#include "../support/support.h"
#include "top/stack_capture.h"
#include "view/stack_pane.h"

using namespace ts;
using nlohmann::json;

namespace {

bool has_line_with(const std::vector<std::string>& lines, const std::string& needle) {
  for (const std::string& l : lines)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("top's stack dump is taken on a thread of its own and arrives through its descriptor", "[top][stack]") {
  test::Fixture fx("stack_chain");
  const json facts = json::parse(fx.facts());
  const int32_t pid = facts["pid"];
  int32_t blocker = 0;
  for (const json& th : facts["threads"])
    if (th["name"] == "blocker") blocker = th["tid"];
  tools::top::StackCapture capture;
  view::StackView v;
  CHECK_FALSE(capture.take(v));  // nothing asked yet
  REQUIRE(capture.start({pid, blocker}));
  pollfd p{capture.fd(), POLLIN, 0};
  REQUIRE(poll(&p, 1, 60000) == 1);
  v.name = "blocker";
  REQUIRE(capture.take(v));
  CHECK_FALSE(capture.busy());
  CHECK(v.error.empty());
  CHECK(v.target.tid == blocker);
  CHECK(v.name == "blocker");  // kept: the pane's title
  INFO(json(v.lines).dump(1));
  for (const json& f : facts["threads"][0]["chain"]) CHECK(has_line_with(v.lines, f["function"].get<std::string>()));
  CHECK_FALSE(has_line_with(v.lines, "spin_leaf"));  // -t: that thread only
  CHECK_FALSE(capture.take(v));  // taken once
  // The pane: its title, then the dump's lines.
  const std::vector<view::Line> lines = view::stack_pane_lines(v, true);
  REQUIRE(lines.size() == v.lines.size() + 1);
  CHECK(lines[0].text().find("Stack of thread " + std::to_string(blocker)) != std::string::npos);
}

TEST_CASE("top's stack pane says in one line why a dump could not be taken", "[top][stack]") {
  const view::StackView v = tools::top::take_stack_view({999999999, 0});  // above pid_max: never a process
  CHECK(v.lines.empty());
  REQUIRE_FALSE(v.error.empty());
  CHECK(v.error.rfind("taskscope: ", 0) == 0);
  CHECK(v.error.find('\n') == std::string::npos);
  CHECK(v.error.find("999999999") != std::string::npos);
  const std::vector<view::Line> lines = view::stack_pane_lines(v, true);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].text() == v.error);
  view::StackView busy;
  busy.target = {42, 0};
  busy.capturing = true;
  CHECK(view::stack_pane_lines(busy, true)[0].text().find("capturing") != std::string::npos);
}
