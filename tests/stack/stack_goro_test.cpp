// stack_goro_test.cpp: `taskscope stack` on a goro process: every G parked in channel receive,
// select, sleep and mutex shows its state and wait reason, its frames down to the function that
// parked (with the line of the blocking call) and the goroutine that created it; the text is Go's
// traceback format. A corrupted segment is a note, never a crash.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>

#include "../support/stack_util.h"
#include "stack/goro_stacks.h"

using nlohmann::json;
using ts::test::bare;
using ts::test::Fixture;
using ts::test::functions;

TEST_CASE("stack: goro Gs parked in receive, select, sleep and mutex", "[stack][e2e][goro]") {
  Fixture fx("goro_stack_target");
  const json facts = json::parse(fx.facts());
  const int pid = facts["pid"];
  const std::string file = facts["file"];
  const auto s = ts::test::stack_json(pid);
  INFO(s.r.out << s.r.err);
  REQUIRE(s.r.status == 0);
  REQUIRE(s.end.is_object());
  CHECK(s.end["goroutines"].get<size_t>() == s.gs.size());
  for (const json& k : facts["kinds"]) {
    for (const json& id : k["goids"]) {
      const uint64_t goid = id;
      INFO(k["kind"] << " goroutine " << goid);
      REQUIRE(s.gs.count(goid));
      const json& g = s.gs.at(goid);
      CHECK(g["state"] == "waiting");
      CHECK(g["wait_reason"] == k["reason"]);
      CHECK(g["parent_goid"] == facts["main_goid"]);
      const std::vector<std::string> fns = functions(g["frames"]);
      INFO(json(fns).dump());
      // The function that parked is in the chain, at the line of its blocking call.
      bool found = false;
      for (const json& f : g["frames"])
        if (f["function"].is_string() && bare(f["function"]) == bare(k["function"])) {
          found = true;
          REQUIRE(f["file"].is_string());
          CHECK(f["file"].get<std::string>().ends_with(file));
          CHECK(f["line"] == k["line"]);
          break;
        }
      CHECK(found);
      // created by: the goro::go call in main's lambda, at its line.
      bool at_go_line = false;
      for (const json& f : g["created_by"]) at_go_line |= f["line"] == k["go_line"];
      CHECK(at_go_line);
    }
  }

  // Text: Go's header "goroutine N [reason]:", frames as "func(...)" then "\tfile:line +0xoff", and
  // "created by ... in goroutine 1".
  const auto text = ts::test::run({ts::test::taskscope_bin(), "stack", std::to_string(pid)});
  REQUIRE(text.status == 0);
  const uint64_t goid = facts["kinds"][0]["goids"][0];
  const std::string block_start = "goroutine " + std::to_string(goid) + " [chan receive]:\n";
  const size_t at = text.out.find(block_start);
  REQUIRE(at != std::string::npos);
  const std::string block = text.out.substr(at, text.out.find("\n\n", at) - at);
  INFO(block);
  CHECK(std::regex_search(block, std::regex(R"(\nrecv_worker\(goro::chan<int>&\)\n\t\S*goro_stack_target\.cpp:\d+ \+0x[0-9a-f]+\n)")));
  CHECK(std::regex_search(block, std::regex(R"(\ncreated by \S.* in goroutine )" + facts["main_goid"].dump() +
                                            R"(\n\t\S*goro_stack_target\.cpp:)" + facts["kinds"][0]["go_line"].dump() +
                                            R"( \+0x[0-9a-f]+$)")));
}

TEST_CASE("stack: a corrupted goro segment is a note, the threads are still dumped", "[stack][e2e][goro]") {
  // A process that is not goro's, with a garbage segment under its pid: the reader refuses it, the
  // dump says so in one note and shows the threads anyway.
  Fixture fx("stack_chain");
  const std::string seg = "/dev/shm/goro." + std::to_string(fx.pid());
  const int fd = open(seg.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
  REQUIRE(fd >= 0);
  std::string junk(8192, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>(i * 131 + 7);
  CHECK(write(fd, junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
  close(fd);
  const auto s = ts::test::stack_json(fx.pid());
  const auto text = ts::test::run({ts::test::taskscope_bin(), "stack", std::to_string(fx.pid())});
  unlink(seg.c_str());
  INFO(s.r.out << s.r.err);
  REQUIRE(s.r.status == 0);
  CHECK(s.threads.size() == 3);
  CHECK(s.gs.empty());
  REQUIRE(s.end["notes"].size() == 1);
  CHECK(s.end["notes"][0].get<std::string>().rfind("goroutines not shown: ", 0) == 0);
  CHECK(text.status == 0);
  CHECK(text.err.rfind("taskscope: goroutines not shown: ", 0) == 0);
  CHECK(ts::test::lines(text.err).size() == 1);
}

TEST_CASE("check_parked refuses a G record whose pointers do not hold together", "[stack][goro]") {
  using ts::GoroG;
  using ts::GoroSnapshot;
  using ts::MemorySegment;
  using ts::stack::check_parked;
  ts::stack::Maps maps;
  auto seg = [](uint64_t start, uint64_t end, const char* perms) {
    MemorySegment m;
    m.start = start;
    m.end = end;
    m.perms = perms;
    return m;
  };
  maps.segs = {seg(0x10000, 0x20000, "rw-p"), seg(0x400000, 0x401000, "r-xp"), seg(0x500000, 0x501000, "rw-p")};
  GoroSnapshot s;
  s.arena_lo = 0x10000;
  s.arena_hi = 0x20000;
  GoroG ok;
  ok.stack_lo = 0x10000;
  ok.stack_hi = 0x12000;
  ok.sp = 0x11f00;
  ok.pc = 0x400100;
  CHECK(check_parked(ok, s, maps).empty());
  auto with = [&](auto edit) {
    GoroG g = ok;
    edit(g);
    return check_parked(g, s, maps);
  };
  CHECK_THAT(with([](GoroG& g) { g.stack_hi = g.stack_lo; }), Catch::Contains("is not a stack"));
  CHECK_THAT(with([](GoroG& g) { g.stack_hi = g.stack_lo + (1ull << 40); }), Catch::Contains("is not a stack"));
  CHECK_THAT(with([](GoroG& g) { g.stack_lo = 0x500000, g.stack_hi = 0x501000, g.sp = 0x500f00; }),
             Catch::Contains("outside the G arena"));
  CHECK_THAT(with([](GoroG& g) { g.sp = 0x8000; }), Catch::Contains("lies outside its stack"));
  CHECK_THAT(with([](GoroG& g) { g.sp = g.stack_hi - 8; }), Catch::Contains("lies outside its stack"));
  CHECK_THAT(with([](GoroG& g) { g.pc = 0x500100; }), Catch::Contains("is not in code"));
  CHECK_THAT(with([](GoroG& g) { g.pc = 0; }), Catch::Contains("is not in code"));
  s.arena_lo = s.arena_hi = 0;  // a runtime that does not publish its arena: the maps still decide
  CHECK_THAT(with([](GoroG& g) { g.stack_lo = 0x30000, g.stack_hi = 0x32000, g.sp = 0x31f00; }),
             Catch::Contains("is not readable memory"));
}
