// reader_test.cpp: exact decoding of a hand-built goro segment, and the reader's error messages.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>

#include "goro/bus_guard.h"
#include "goro/reader.h"
#include "goro/segment.h"
#include "model/error.h"
#include "segment_builder.h"

using namespace ts;
using ts::test::SegmentBuilder;

namespace {

// sample() is a segment with 2 Ps, 3 Ms in use (the last sysmon's), and 4 Gs (one free slot between them).
SegmentBuilder sample(int32_t pid) {
  SegmentBuilder b(pid, 2, 4, 8);
  b.desc().m_count = 3;
  b.desc().g_hwm = 5;
  b.desc().global_runq_len = 3;
  b.desc().sysmon_ticks = 77;
  b.p(0) = goro_p_rec{10, 0, GORO_P_RUNNING, 0, 2, 0, 4, 1000, 5, 900, 12, 1};
  b.p(1) = goro_p_rec{2, 1, GORO_P_IDLE, -1, 0, 0, 0, 20, 0, 15, 0, 0};
  b.m(0) = goro_m_rec{4, 0, 4242, 0, 0, 0, 0, 0, 1, {}};
  b.m(1) = goro_m_rec{6, 1, 4243, -1, 1, 0, 0, 0, 0, {}};
  b.m(2) = goro_m_rec{2, 2, 4244, -1, 0, 0, 0, GORO_MF_SYSMON, 0, {}};
  goro_g_rec& g1 = b.g(0);
  g1.goid = 1; g1.state = GORO_G_RUNNING; g1.m_id = 0; g1.flags = GORO_GF_MAIN | GORO_GF_LONG_RUNNING;
  g1.run_since_ns = 500;
  g1.stack_lo = 0x10000; g1.stack_hi = 0x12000; g1.start_pc = 0x401000;
  goro_g_rec& g2 = b.g(1);
  g2.goid = 2; g2.state = GORO_G_WAITING; g2.wait_reason = GORO_WAIT_CHAN_RECV; g2.m_id = -1;
  g2.parent_goid = 1; g2.wait_since_ns = 1000; g2.create_pc = 0x401234; g2.start_pc = 0x402000;
  g2.stack_lo = 0x20000; g2.stack_hi = 0x22000; g2.sp = 0x21f00; g2.pc = 0x403000; g2.fp = 0x21f40;
  // slot 2 stays free (goid 0)
  goro_g_rec& g4 = b.g(3);
  g4.goid = 4; g4.state = GORO_G_WAITING; g4.wait_reason = GORO_WAIT_MUTEX; g4.m_id = -1; g4.parent_goid = 1;
  g4.wait_since_ns = 4000; g4.flags = GORO_GF_LONG_RUNNING;  // stale: sysmon's racy set after it parked
  goro_g_rec& g5 = b.g(4);
  g5.goid = 5; g5.state = GORO_G_RUNNABLE; g5.m_id = -1; g5.parent_goid = 2; g5.flags = GORO_GF_SYSTEM;
  return b;
}

goro::ParseOptions at(uint64_t now) {
  goro::ParseOptions o;
  o.now_ns = now;
  return o;
}

std::string error_of(SegmentBuilder& b, const goro::ParseOptions& o = at(10000)) {
  try {
    goro::parse_segment(b.bytes(), o, "seg");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("parse_segment decodes every field of a hand-built segment", "[goro]") {
  SegmentBuilder b = sample(42);
  const GoroSnapshot s = goro::parse_segment(b.bytes(), at(10000), "seg");
  CHECK(s.pid == 42);
  CHECK(s.taken_ns == 10000);
  CHECK(s.gomaxprocs == 2);
  CHECK(s.global_runq_len == 3);
  CHECK(s.sysmon_ticks == 77);
  CHECK(s.stack_size == 8192);
  CHECK(s.guard_kind == 2);
  CHECK(s.g_slots == 5);
  CHECK(s.torn == 0);
  REQUIRE(s.ps.size() == 2);
  CHECK(s.ps[0].status == PStatus::Running);
  CHECK(s.ps[0].m_id == 0);
  CHECK(s.ps[0].runq_len == 2);
  CHECK(s.ps[0].runnext_goid == 4);
  CHECK(s.ps[0].schedtick == 1000);
  CHECK(s.ps[0].syscalltick == 5);
  CHECK(s.ps[0].switches == 900);
  CHECK(s.ps[0].gs_created == 12);
  CHECK(s.ps[0].steals == 1);
  CHECK(s.ps[1].status == PStatus::Idle);
  CHECK(s.ps[1].m_id == -1);
  REQUIRE(s.ms.size() == 3);
  CHECK(s.ms[0].tid == 4242);
  CHECK(s.ms[0].p_id == 0);
  CHECK(s.ms[0].cur_goid == 1);
  CHECK_FALSE(s.ms[0].spinning);
  CHECK(s.ms[1].spinning);
  CHECK(s.ms[1].p_id == -1);
  CHECK_FALSE(s.ms[1].sysmon);
  CHECK(s.ms[2].sysmon);
  CHECK(s.ms[2].tid == 4244);
  REQUIRE(s.gs.size() == 4);  // the free slot is skipped
  CHECK(s.gs[0].goid == 1);
  CHECK(s.gs[0].state == GState::Running);
  CHECK(s.gs[0].main);
  CHECK(s.gs[0].wait_ns == 0);
  CHECK(s.gs[0].long_running);         // running and flagged: a hog
  CHECK(s.gs[0].run_ns == 10000 - 500);  // it has held its P since run_since_ns
  const GoroG& g2 = s.gs[1];
  CHECK(g2.goid == 2);
  CHECK(std::string(gstate_name(g2.state)) == "waiting");
  CHECK(std::string(wait_reason_name(g2.wait_reason)) == "chan receive");
  CHECK(g2.wait_ns == 9000);
  CHECK(g2.parent_goid == 1);
  CHECK(g2.create_pc == 0x401234);
  CHECK(g2.start_pc == 0x402000);
  CHECK(g2.stack_lo == 0x20000);
  CHECK(g2.stack_hi == 0x22000);
  CHECK(g2.sp == 0x21f00);
  CHECK(g2.pc == 0x403000);
  CHECK(g2.fp == 0x21f40);
  CHECK(std::string(wait_reason_name(s.gs[2].wait_reason)) == "sync.Mutex.Lock");
  CHECK_FALSE(s.gs[2].long_running);  // the flag only counts while the G runs
  CHECK(s.gs[2].wait_ns == 6000);
  CHECK(s.gs[2].run_ns == 0);
  CHECK(s.gs[3].system);
  CHECK(s.gs[3].state == GState::Runnable);
  CHECK(s.find_g(5) == &s.gs[3]);
  CHECK(s.find_g(3) == nullptr);
}

TEST_CASE("the stack arena is decoded when self-consistent and dropped when not", "[goro]") {
  SegmentBuilder b = sample(42);
  b.desc().arena_lo = 0x10000;
  b.desc().arena_hi = 0x10000 + 8 * 0x3000;
  b.desc().slot_size = 0x3000;
  b.desc().guard_size = 0x1000;
  GoroSnapshot s = goro::parse_segment(b.bytes(), at(10000), "seg");
  CHECK(s.arena_lo == 0x10000);
  CHECK(s.arena_hi == 0x10000 + 8 * 0x3000);
  CHECK(s.slot_size == 0x3000);
  CHECK(s.guard_size == 0x1000);
  b.desc().guard_size = 0x3000;  // a guard as large as the slot leaves no stack
  s = goro::parse_segment(b.bytes(), at(10000), "seg");
  CHECK(s.arena_lo == 0);
  CHECK(s.slot_size == 0);
  b.desc().guard_size = 0x1000;
  b.desc().arena_hi = b.desc().arena_lo;  // an empty arena
  s = goro::parse_segment(b.bytes(), at(10000), "seg");
  CHECK(s.arena_hi == 0);
}

TEST_CASE("a record whose seq stays odd is skipped and counted as torn", "[goro]") {
  SegmentBuilder b = sample(42);
  b.g(1).seq = 7;
  b.m(1).seq = 1;
  const GoroSnapshot s = goro::parse_segment(b.bytes(), at(10000), "seg");
  CHECK(s.torn == 2);
  CHECK(s.ms.size() == 2);  // of 3
  CHECK(s.gs.size() == 3);
  CHECK(s.find_g(2) == nullptr);
}

TEST_CASE("parse_segment rejects malformed descriptors with a one-line reason", "[goro]") {
  SegmentBuilder b = sample(42);
  SECTION("magic") { b.desc().magic ^= 1; CHECK_THAT(error_of(b), Catch::Contains("bad magic")); }
  SECTION("version") { b.desc().version = 2; CHECK_THAT(error_of(b), Catch::Contains("goro ABI version 2")); }
  SECTION("desc size") { b.desc().desc_size = 8; CHECK_THAT(error_of(b), Catch::Contains("descriptor size 8")); }
  SECTION("pid") {
    goro::ParseOptions o = at(1);
    o.expect_pid = 43;
    CHECK_THAT(error_of(b, o), Catch::Contains("belongs to pid 42, not 43"));
  }
  SECTION("g_hwm beyond g_cap") { b.desc().g_hwm = 9; CHECK_THAT(error_of(b), Catch::Contains("g_hwm 9 exceeds g_cap 8")); }
  SECTION("m_count beyond m_cap") { b.desc().m_count = 5; CHECK_THAT(error_of(b), Catch::Contains("m_count 5 exceeds")); }
  SECTION("table past the end") { b.desc().g_cap = 9; b.desc().g_hwm = 1; CHECK_THAT(error_of(b), Catch::Contains("G table")); }
  SECTION("offset+size overflows") {
    b.desc().p_off = ~0ull - 7;
    CHECK_THAT(error_of(b), Catch::Contains("P table"));
  }
  SECTION("record smaller than known") { b.desc().m_size = 8; CHECK_THAT(error_of(b), Catch::Contains("M record size 8")); }
  SECTION("gomaxprocs beyond Ps") { b.desc().gomaxprocs = 3; CHECK_THAT(error_of(b), Catch::Contains("gomaxprocs 3")); }
  SECTION("too small") {
    CHECK_THROWS_WITH(goro::parse_segment(b.bytes().first(64), at(1), "seg"), Catch::Contains("too small"));
  }
}

TEST_CASE("parse_segment rejects out-of-range enums in records", "[goro]") {
  SegmentBuilder b = sample(42);
  SECTION("G state") { b.g(1).state = 5; CHECK(error_of(b) == "seg: G slot 1: state 5 is out of range: corrupt segment or a newer goro runtime"); }
  SECTION("wait reason") { b.g(1).wait_reason = GORO_WAIT_REASON_MAX; CHECK_THAT(error_of(b), Catch::Contains("wait reason 14")); }
  SECTION("P status") { b.p(1).status = 3; CHECK_THAT(error_of(b), Catch::Contains("P slot 1: status 3")); }
  SECTION("M's P") { b.m(0).p_id = 2; CHECK_THAT(error_of(b), Catch::Contains("M slot 0: p 2")); }
  SECTION("stack bounds") { b.g(0).stack_lo = b.g(0).stack_hi + 1; CHECK_THAT(error_of(b), Catch::Contains("reversed")); }
}

TEST_CASE("read_segment_fd reads a segment from a file descriptor", "[goro]") {
  SegmentBuilder b = sample(42);
  const int fd = memfd_create("goro-test", MFD_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, b.bytes().data(), b.bytes().size()) == static_cast<ssize_t>(b.bytes().size()));
  const GoroSnapshot s = goro::read_segment_fd(fd, at(10000), "memfd");
  CHECK(s.gs.size() == 4);
  CHECK(s.ms[1].tid == 4243);
  REQUIRE(ftruncate(fd, 100) == 0);
  CHECK_THROWS_WITH(goro::read_segment_fd(fd, at(1), "memfd"), Catch::Contains("memfd: too small"));
  close(fd);
}

TEST_CASE("a segment truncated beneath the reader is an error, not SIGBUS", "[goro]") {
  SegmentBuilder b(42, 2, 4, 200);  // G table spans several pages
  b.desc().g_hwm = 200;
  for (uint32_t i = 0; i < 200; ++i) b.g(i).goid = i + 1;
  const size_t size = b.bytes().size();
  REQUIRE(size > 3 * 4096);
  const int fd = memfd_create("goro-shrink", MFD_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, b.bytes().data(), size) == static_cast<ssize_t>(size));
  void* base = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  REQUIRE(base != MAP_FAILED);
  REQUIRE(ftruncate(fd, 4096) == 0);  // the owner shrinks its file after we mapped it
  CHECK_THROWS_WITH(goro::parse_segment({static_cast<const std::byte*>(base), size}, at(1), "shm"),
                    Catch::Contains("shrank"));
  munmap(base, size);
  close(fd);
}

TEST_CASE("read_goro names a missing process and a process without goro state", "[goro]") {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(child > 0);
  waitpid(child, nullptr, 0);
  CHECK_THROWS_WITH(goro::read_goro(child), "no process with pid " + std::to_string(child));
  const pid_t parent = getppid();
  CHECK_THROWS_WITH(goro::read_goro(parent), "pid " + std::to_string(parent) + " publishes no goro state (/dev/shm/goro." +
                                                 std::to_string(parent) + " not found): is it a goro program?");
}

TEST_CASE("read_goro reads a segment published under /dev/shm and joins M tids to /proc", "[goro]") {
  const int32_t self = getpid();
  SegmentBuilder b = sample(self);
  b.desc().start_unix_ns = static_cast<uint64_t>(time(nullptr)) * 1000000000ull;
  b.m(0).tid = self;  // a tid that exists in /proc/self/task
  b.m(1).tid = 0x7ffffff0;  // one that does not
  const std::string path = goro::segment_path(self);
  const int fd = open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, b.bytes().data(), b.bytes().size()) == static_cast<ssize_t>(b.bytes().size()));
  close(fd);
  GoroSnapshot s;
  try {
    s = goro::read_goro(self);
  } catch (...) {
    unlink(path.c_str());
    throw;
  }
  unlink(path.c_str());
  CHECK(s.pid == self);
  REQUIRE(s.ms.size() == 3);
  CHECK(s.ms[0].tid_alive);
  CHECK_FALSE(s.ms[1].tid_alive);
  CHECK(s.gs.size() == 4);
}
