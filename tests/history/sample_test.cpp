// sample_test.cpp: a Sample's encoding round-trips every field, a recording without --threads
// keeps per-process sums, and corrupted blobs give a ts::Error naming the byte, never a crash.
#include "history/sample.h"

#include <catch2/catch.hpp>
#include <random>

#include "history/blob.h"
#include "history/compress.h"
#include "history_frames.h"
#include "model/error.h"

using namespace ts;
using namespace ts::history;

TEST_CASE("a sample round-trips through its encoding", "[history]") {
  const view::Frame f = test::recorded_frame(3);
  const Sample s = from_frame(f, true);
  const Sample d = decode(encode(s), "t");
  REQUIRE(d.threads);
  REQUIRE(d.snap.processes.size() == 3);
  const Process* p = d.snap.find(100);
  REQUIRE(p);
  CHECK(p->cmdline == "/usr/bin/srv --run");
  REQUIRE(p->tasks.size() == 2);
  CHECK(p->tasks[1].tid == 101);
  CHECK(p->tasks[1].tgid == 100);
  CHECK(p->tasks[1].comm == "srv-worker");
  CHECK(p->tasks[1].utime_ns == 3 * 20'000'000);
  CHECK(p->tasks[1].nvcsw == 15);
  CHECK(d.snap.taken_ns == f.snap.taken_ns);
  CHECK(d.snap.boot_time_unix_ns == f.snap.boot_time_unix_ns);
  CHECK(d.machine.all.user == 300);
  REQUIRE(d.goro.count(100));
  CHECK(d.goro.at(100).gs.size() == 3);
  CHECK(d.goro.at(100).gs[0].wait_reason == WaitReason::ChanRecv);
  CHECK(d.goro.at(100).gs[0].sp == 0);  // registers are not stored
  CHECK(d.goro.at(100).ps[1].runq_len == 3);
  CHECK(d.events_on);
}

TEST_CASE("without --threads a process keeps one task with its threads' sums", "[history]") {
  const Sample s = decode(encode(from_frame(test::recorded_frame(2), false)), "t");
  const Process* p = s.snap.find(100);
  REQUIRE(p);
  REQUIRE(p->tasks.size() == 1);
  CHECK(p->tasks[0].tid == 100);
  CHECK(p->tasks[0].comm == "srv");
  CHECK(p->tasks[0].utime_ns == 2 * 10'000'000 + 2 * 20'000'000);
  CHECK(p->tasks[0].nvcsw == 20);
  CHECK(p->nlwp == 2);
  CHECK(p->total_nvcsw() == 20);
}

TEST_CASE("blob reader bounds", "[history]") {
  BlobWriter w;
  w.u(300);
  w.i(-5);
  w.s("abc");
  w.f(2.5);
  BlobReader r(w.bytes(), "b");
  CHECK(r.u() == 300);
  CHECK(r.i() == -5);
  CHECK(r.s() == "abc");
  CHECK(r.f() == 2.5);
  CHECK(r.at_end());
  CHECK_THROWS_WITH(r.u(), "b: truncated at byte 15");
  const std::string huge = "\xff\xff\xff\xff\x0f";
  BlobReader c(huge, "c");
  CHECK_THROWS_WITH(c.count(), Catch::Contains("exceeds the bytes left"));
}

TEST_CASE("corrupted sample blobs throw ts::Error naming the byte, never crash", "[history][fuzz]") {
  const std::string good = encode(from_frame(test::recorded_frame(4), true));
  std::mt19937_64 rng(14);
  int errors = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string bad = good;
    switch (round % 3) {
      case 0: bad.resize(rng() % bad.size()); break;
      case 1:
        for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
        break;
      default: bad.insert(rng() % bad.size(), std::string(1 + rng() % 8, static_cast<char>(rng()))); break;
    }
    try {
      const Sample s = decode(bad, "sample 9");
      CHECK(s.snap.processes.size() <= 3);  // what decodes is bounded by what was there
    } catch (const Error& e) {
      ++errors;
      const std::string msg = e.what();
      if (msg.find("sample 9: ") != 0 || msg.find(" at byte ") == std::string::npos) FAIL("message: " << msg);
    }
  }
  CHECK(errors > 2500);
}

TEST_CASE("corrupted zstd frames throw ts::Error", "[history][fuzz]") {
  const std::string raw = encode(from_frame(test::recorded_frame(4), true));
  const std::string good = compress(raw);
  CHECK(decompress(good, "s") == raw);
  std::mt19937_64 rng(15);
  for (int round = 0; round < 2000; ++round) {
    std::string bad = good;
    if (round % 2) bad.resize(rng() % bad.size());
    else bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    try {
      (void)decode(decompress(bad, "s"), "s");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).rfind("s: ", 0) == 0);
    }
  }
  CHECK_THROWS_WITH(decompress("hello", "f"), "f: not a zstd frame at byte 0");
}
