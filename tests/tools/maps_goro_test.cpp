// maps_goro_test.cpp: `taskscope maps` on a goro program (tests/fixtures/goro_stacks): the runtime's
// G stack arena is goroutine stacks, counted in Gs, never a thread stack, with or without the
// segment the runtime publishes.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/units.h"
#include "maps_test_util.h"
#include "../support/support.h"

using nlohmann::json;
using namespace ts;

namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;

// line_starting() is the first line of text that starts with `prefix`, or "" when none does.
std::string line_starting(const std::string& text, const std::string& prefix) {
  for (const std::string& l : test::lines(text))
    if (l.rfind(prefix, 0) == 0) return l;
  return "";
}

// check_no_thread_stack_on_g_stacks() checks what must hold with or without the runtime's segment:
// no G's stack is a thread stack, and the threads asleep on G stacks own none.
void check_no_thread_stack_on_g_stacks(const test::MapsJson& m, const json& facts) {
  for (const json& a : facts["g_stack_addrs"]) CHECK(test::segment_at(m.segments, a.get<uint64_t>())["kind"] != "thread-stack");
  uint64_t thread_stack_bytes = 0;
  for (const json& s : m.segments)
    if (s["kind"] == "thread-stack") {
      for (const json& t : facts["syscall_tids"]) CHECK(s["tid"] != t);
      thread_stack_bytes += s["size"].get<uint64_t>();
    }
  CHECK(thread_stack_bytes < kGiB);
  CHECK(m.summary["thread_stacks"]["reserved"].get<uint64_t>() < kGiB);
}

// HiddenSegment renames /dev/shm/goro.PID away for its lifetime: the process then publishes nothing
// that taskscope can find, as when it runs in another /dev/shm.
class HiddenSegment {
 public:
  explicit HiddenSegment(int pid) : path_("/dev/shm/goro." + std::to_string(pid)), hidden_(path_ + ".hidden") {
    REQUIRE(std::rename(path_.c_str(), hidden_.c_str()) == 0);
  }
  ~HiddenSegment() { std::rename(hidden_.c_str(), path_.c_str()); }
  HiddenSegment(const HiddenSegment&) = delete;
  HiddenSegment& operator=(const HiddenSegment&) = delete;

 private:
  std::string path_, hidden_;
};

}  // namespace

TEST_CASE("maps shows a goro program's G stack arena as goroutine stacks, one line with its Gs", "[maps][goro][tools]") {
  test::Fixture f("goro_stacks", {"1000"});
  const json facts = json::parse(f.facts());
  const test::CliResult r = test::cli({"maps", std::to_string(f.pid()), "--json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const test::MapsJson m = test::parse_maps_json(r.out);

  for (const json& a : facts["g_stack_addrs"]) CHECK(test::segment_at(m.segments, a.get<uint64_t>())["kind"] == "goroutine-stack");
  check_no_thread_stack_on_g_stacks(m, facts);
  CHECK(m.summary["thread_stacks"]["count"].get<int>() >= 1);  // the Ms' own pthread stacks stay thread stacks

  const json gs = m.summary.value("goroutine_stacks", json());
  REQUIRE(gs.is_object());
  CHECK(gs["gs"] == facts["gs"]);
  uint64_t arena_bytes = 0;
  int64_t arena_rss = 0;
  for (const json& s : m.segments)
    if (s["kind"] == "goroutine-stack") {
      arena_bytes += s["size"].get<uint64_t>();
      arena_rss += s["rss"].get<int64_t>();
      CHECK(test::addr(gs["start"]) <= test::addr(s["start"]));
      CHECK(test::addr(s["end"]) <= test::addr(gs["end"]));
    }
  CHECK(gs["reserved"] == arena_bytes);
  CHECK(gs["resident"] == arena_rss);
  // Each parked G has touched at least the page at its stack's top; most of the arena is untouched.
  CHECK(arena_rss >= facts["parked"].get<int64_t>() * 4096);
  CHECK(static_cast<uint64_t>(arena_rss) < arena_bytes / 16);
  REQUIRE(m.summary["kinds"].contains("goroutine-stack"));
  CHECK(m.summary["kinds"]["goroutine-stack"]["size"] == arena_bytes);
  for (const json& t : facts["syscall_tids"]) CHECK(r.err.find(std::to_string(t.get<int>())) != std::string::npos);
  CHECK(r.err.find("goroutines (their stack pointers are in the goro stack arena)") != std::string::npos);

  const test::CliResult t = test::cli({"maps", std::to_string(f.pid())});
  REQUIRE(t.status == 0);
  // The resident figure may move by a page between the two runs: the line's shape and the rest are checked.
  const std::string line = line_starting(t.out, "goroutine stacks: ");
  CHECK(line.rfind("goroutine stacks: " + std::to_string(facts["gs"].get<int>()) + " Gs, ", 0) == 0);
  CHECK(line.find(" resident of " + human_bytes(arena_bytes) + " reserved") != std::string::npos);
  const std::string threads = line_starting(t.out, "thread stacks: ");
  CHECK(!threads.empty());
  CHECK(threads.find(human_bytes(arena_bytes)) == std::string::npos);
}

TEST_CASE("without the runtime's segment the G stack arena is anon, never a thread stack", "[maps][goro][tools]") {
  test::Fixture f("goro_stacks", {"200"});
  const json facts = json::parse(f.facts());
  test::CliResult r;
  {
    HiddenSegment hide(f.pid());
    r = test::cli({"maps", std::to_string(f.pid()), "--json"});
  }
  INFO(r.err);
  REQUIRE(r.status == 0);
  const test::MapsJson m = test::parse_maps_json(r.out);
  for (const json& a : facts["g_stack_addrs"]) CHECK(test::segment_at(m.segments, a.get<uint64_t>())["kind"] == "anon");
  check_no_thread_stack_on_g_stacks(m, facts);
  CHECK(m.summary.contains("goroutine_stacks"));
  CHECK(m.summary.value("goroutine_stacks", json()).is_null());
  // The two threads asleep on G stacks are named in a note, which says why the mapping stays anon.
  for (const json& t : facts["syscall_tids"]) CHECK(r.err.find(std::to_string(t.get<int>())) != std::string::npos);
  CHECK(r.err.find("not one thread's own") != std::string::npos);
}
