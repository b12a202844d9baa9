// maps_stacks_test.cpp: which anonymous mappings are stacks — threads' own, or the goro runtime's G
// stack arena — on synthetic address spaces, no I/O.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "model/memory_summary.h"
#include "procfs/maps_classify.h"
#include "procfs/maps_parse.h"

using namespace ts;

namespace {

constexpr uint64_t kArenaLo = 0x7f0000000000, kArenaHi = 0x7f1000000000;  // 64 GiB
constexpr uint64_t kStackLo = 0x7f1000001000, kStackHi = 0x7f1000801000;  // 8 MiB, guard below

// Pid 100: a 64 GiB arena, a glibc-shaped thread stack (guard below), the main stack.
const char* const kMaps =
    "7f0000000000-7f1000000000 rw-p 00000000 00:00 0 \n"
    "7f1000000000-7f1000001000 ---p 00000000 00:00 0 \n"
    "7f1000001000-7f1000801000 rw-p 00000000 00:00 0 \n"
    "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]\n";

// input() is pid 100 with the given threads' sps; every mapping has `rss` resident bytes.
ClassifyInput input(std::vector<ThreadSp> sps, int64_t rss = 64 << 10) {
  ClassifyInput in;
  in.pid = 100;
  in.segments = parse_maps(kMaps);
  for (MemorySegment& s : in.segments) s.rss_bytes = s.pss_bytes = rss, s.swap_bytes = 0;
  in.threads = ThreadSps{};
  in.threads->found = std::move(sps);
  return in;
}

GoroutineArena arena(size_t gs) { return GoroutineArena{kArenaLo, kArenaHi, 20 << 10, 4 << 10, gs}; }

const MemorySegment& at(const Classified& c, uint64_t addr) {
  auto it = std::find_if(c.segments.begin(), c.segments.end(), [&](const MemorySegment& s) { return s.start <= addr && addr < s.end; });
  REQUIRE(it != c.segments.end());
  return *it;
}

std::string all_notes(const Classified& c) {
  std::string s;
  for (const std::string& n : c.notes) s += n + "\n";
  return s;
}

}  // namespace

TEST_CASE("the goro runtime's published arena is goroutine stacks, summed apart from thread stacks", "[maps][classify][goro]") {
  ClassifyInput in = input({{100, kArenaLo + 0x10000}, {101, kStackHi - 0x2000}, {102, 0x7fffffffe000}});
  in.goroutine_arena = arena(1000);
  const Classified c = classify(in);
  INFO(all_notes(c));
  CHECK(at(c, kArenaLo).kind == SegmentKind::GoroutineStack);
  CHECK(at(c, kArenaLo).tid == 0);
  CHECK(at(c, kStackLo).kind == SegmentKind::ThreadStack);  // an M's own pthread stack stays one
  CHECK(at(c, kStackLo).tid == 101);
  CHECK(at(c, kStackLo - 1).tid == 101);
  REQUIRE(c.goroutine_arena);
  CHECK(c.goroutine_arena->gs == 1000);
  CHECK(all_notes(c).find("thread 100 runs a goroutine") != std::string::npos);
  CHECK(all_notes(c).find("thread 102 runs on the main stack") != std::string::npos);

  const MapsSummary sum = summarize(c);
  REQUIRE(sum.goroutine_stacks);
  CHECK(sum.goroutine_stacks->gs == 1000);
  CHECK(sum.goroutine_stacks->mappings == 1);
  CHECK(sum.goroutine_stacks->reserved == kArenaHi - kArenaLo);
  CHECK(sum.goroutine_stacks->resident == 64 << 10);
  CHECK(sum.goroutine_stacks->slot_size == 20 << 10);
  CHECK(sum.thread_stacks.count == 1);
  CHECK(sum.thread_stacks.reserved == kStackHi - kStackLo + 0x1000);
}

TEST_CASE("an arena split by mprotect guards is goroutine stacks, guards included", "[maps][classify][goro]") {
  ClassifyInput in;
  in.pid = 100;
  in.segments = parse_maps(
      "7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
      "7f0000001000-7f0000005000 rw-p 00000000 00:00 0 \n"
      "7f0000005000-7f0000006000 ---p 00000000 00:00 0 \n"
      "7f0000006000-7f000000a000 rw-p 00000000 00:00 0 \n"
      "7f000000a000-7f0001000000 rw-p 00000000 00:00 0 \n"
      "7f0001000000-7f0001001000 rw-p 00000000 00:00 0 \n");
  in.threads = ThreadSps{{{101, 0x7f0000004000}}, {}, {}};
  in.goroutine_arena = GoroutineArena{0x7f0000000000, 0x7f0001000000, 0x5000, 0x1000, 2};
  const Classified c = classify(in);
  for (uint64_t a : {0x7f0000000000ull, 0x7f0000001000ull, 0x7f0000005000ull, 0x7f0000006000ull, 0x7f000000a000ull})
    CHECK(at(c, a).kind == SegmentKind::GoroutineStack);
  CHECK(at(c, 0x7f0001000000).kind == SegmentKind::AnonMmap);  // past the arena
  CHECK(summarize(c).goroutine_stacks->mappings == 5);
  CHECK(all_notes(c).find("thread 101 runs a goroutine") != std::string::npos);
}

TEST_CASE("an arena that no mapping holds is dropped with a note", "[maps][classify][goro]") {
  ClassifyInput in = input({});
  in.goroutine_arena = GoroutineArena{0x600000000000, 0x600100000000, 0x5000, 0x1000, 3};
  const Classified c = classify(in);
  CHECK_FALSE(c.goroutine_arena);
  CHECK_FALSE(summarize(c).goroutine_stacks);
  CHECK(all_notes(c).find("is in no anonymous mapping") != std::string::npos);
}

TEST_CASE("without the runtime's word, a stack pointer alone does not make a thread stack", "[maps][classify]") {
  SECTION("the main thread on an anonymous mapping: a user-allocated stack, its own is [stack]") {
    const Classified c = classify(input({{100, kArenaLo + 0x10000}}));
    CHECK(at(c, kArenaLo).kind == SegmentKind::AnonMmap);
    CHECK(all_notes(c).find("the main thread 100 runs on a stack inside a 64G anon mapping") != std::string::npos);
  }
  SECTION("two threads on one mapping: not one thread's own") {
    const Classified c = classify(input({{102, kArenaLo + 0x10000}, {103, kArenaLo + 0x90000}}));
    CHECK(at(c, kArenaLo).kind == SegmentKind::AnonMmap);
    CHECK(all_notes(c).find("threads 102,103 run on stacks inside one 64G anon mapping") != std::string::npos);
  }
  SECTION("one thread far below the top of a mapping it never filled: a region it switched onto") {
    const Classified c = classify(input({{102, kArenaLo + 0x10000}}));
    CHECK(at(c, kArenaLo).kind == SegmentKind::AnonMmap);
    CHECK(all_notes(c).find("thread 102 runs ") != std::string::npos);
    CHECK(all_notes(c).find("was ever touched") != std::string::npos);
  }
  SECTION("residency unknown: the sp is all there is, and it is taken") {
    const Classified c = classify(input({{102, kArenaLo + 0x10000}}, -1));
    CHECK(at(c, kArenaLo).kind == SegmentKind::ThreadStack);
  }
  SECTION("a thread stack with untouched locals above the sp, within glibc's 8 MiB, stays a thread stack") {
    const Classified c = classify(input({{101, kStackLo + 0x1000}}, 16 << 10));
    CHECK(at(c, kStackLo).kind == SegmentKind::ThreadStack);
    CHECK(at(c, kStackLo).tid == 101);
  }
  SECTION("a stack pointer between mappings, or past the last, is in no mapping") {
    const Classified c = classify(input({{104, kStackHi + 0x1000}, {105, 0x7ffffffff000}, {101, kStackHi - 8}}));
    CHECK(all_notes(c).find("thread 104: its stack pointer is in no mapping") != std::string::npos);
    CHECK(all_notes(c).find("thread 105: its stack pointer is in no mapping") != std::string::npos);
    CHECK(at(c, kStackLo).tid == 101);
  }
  SECTION("swapped-out pages count as touched") {
    ClassifyInput in = input({{102, kArenaLo + 0x10000}}, 0);
    in.segments[0].swap_bytes = static_cast<int64_t>(kArenaHi - kArenaLo);
    CHECK(at(classify(in), kArenaLo).kind == SegmentKind::ThreadStack);
  }
}
