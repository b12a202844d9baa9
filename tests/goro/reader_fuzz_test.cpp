// reader_fuzz_test.cpp: thousands of corrupted goro segments. The reader must return a bounded,
// valid snapshot or throw ts::Error; anything else (a crash, another exception) fails. Run it
// under SAN=1 too: ASan/UBSan turn a stray read or an overflow into a failure.
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "goro/segment.h"
#include "model/error.h"
#include "segment_builder.h"

using namespace ts;
using ts::test::SegmentBuilder;

namespace {

SegmentBuilder valid_segment() {
  SegmentBuilder b(7, 4, 8, 64);
  b.desc().m_count = 5;
  b.desc().g_hwm = 40;
  for (uint32_t i = 0; i < 4; ++i) { b.p(i).status = i % 3; b.p(i).m_id = static_cast<int32_t>(i) - 1; b.p(i).seq = 2 * i; }
  for (uint32_t i = 0; i < 5; ++i) { b.m(i).id = i; b.m(i).tid = 100 + static_cast<int32_t>(i); b.m(i).p_id = i < 4 ? static_cast<int32_t>(i) : -1; }
  for (uint32_t i = 0; i < 40; ++i) {
    goro_g_rec& g = b.g(i);
    g.goid = i % 7 == 3 ? 0 : i + 1;
    g.state = (i % 5 == 0) ? uint32_t{GORO_G_DEAD} : i % 5;
    g.wait_reason = g.state == GORO_G_WAITING ? i % GORO_WAIT_REASON_MAX : 0;
    g.m_id = -1;
    g.wait_since_ns = i * 1000;
    g.stack_lo = 0x100000 * (i + 1);
    g.stack_hi = g.stack_lo + 0x2000;
    g.flags = i & 7;
  }
  return b;
}

// Field offsets inside the descriptor that make interesting targets.
const size_t kDescFields[] = {
    offsetof(goro_abi_desc, version),  offsetof(goro_abi_desc, desc_size), offsetof(goro_abi_desc, gomaxprocs),
    offsetof(goro_abi_desc, p_off),    offsetof(goro_abi_desc, p_count),   offsetof(goro_abi_desc, p_size),
    offsetof(goro_abi_desc, m_off),    offsetof(goro_abi_desc, m_cap),     offsetof(goro_abi_desc, m_size),
    offsetof(goro_abi_desc, g_off),    offsetof(goro_abi_desc, g_cap),     offsetof(goro_abi_desc, g_size),
    offsetof(goro_abi_desc, g_hwm),    offsetof(goro_abi_desc, m_count),   offsetof(goro_abi_desc, magic)};

uint64_t nasty(std::mt19937_64& rng) {
  static const uint64_t values[] = {0, 1, 7, 8, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
                                    ~0ull, ~0ull - 7, 1ull << 63, 4096, 65536, 1u << 24, (1u << 24) + 1};
  return rng() % 3 == 0 ? rng() : values[rng() % (sizeof values / sizeof *values)];
}

// mutate() applies one random corruption to the segment and may shorten `len`.
void mutate(std::mt19937_64& rng, std::span<std::byte> seg, size_t& len) {
  auto* words = reinterpret_cast<uint32_t*>(seg.data());
  switch (rng() % 8) {
    case 0:  // random byte flips anywhere
      for (int i = 0, n = 1 + static_cast<int>(rng() % 8); i < n; ++i) seg[rng() % seg.size()] ^= std::byte(1 + rng() % 255);
      break;
    case 1:  // truncation
      len = rng() % (len + 1);
      break;
    case 2:  // a nasty value in a descriptor field (32- or 64-bit write)
    case 3: {
      const size_t off = kDescFields[rng() % (sizeof kDescFields / sizeof *kDescFields)];
      const uint64_t v = nasty(rng);
      std::memcpy(seg.data() + off, &v, rng() % 2 ? 8 : 4);
      break;
    }
    case 4:  // an odd seq forever in some records
      for (int i = 0; i < 4; ++i) words[(sizeof(goro_abi_desc) + (rng() % (seg.size() - sizeof(goro_abi_desc)) & ~7ull)) / 4] |= 1;
      break;
    case 5: {  // an out-of-range enum or id in a G/M/P record
      const size_t off = (sizeof(goro_abi_desc) + rng() % (seg.size() - sizeof(goro_abi_desc))) & ~3ull;
      const uint32_t v = static_cast<uint32_t>(nasty(rng));
      std::memcpy(seg.data() + off, &v, 4);
      break;
    }
    case 6: {  // tables overlapping each other or the descriptor
      auto& d = *reinterpret_cast<goro_abi_desc*>(seg.data());
      (rng() % 2 ? d.g_off : d.m_off) = (rng() % 4) * 8;
      break;
    }
    default: {  // record sizes that do not match
      auto& d = *reinterpret_cast<goro_abi_desc*>(seg.data());
      const uint32_t v = static_cast<uint32_t>(rng() % 9000);
      (rng() % 3 == 0 ? d.p_size : rng() % 2 ? d.m_size : d.g_size) = v;
      break;
    }
  }
}

// check_bounded() asserts what every accepted snapshot must satisfy.
void check_bounded(const GoroSnapshot& s, size_t len) {
  REQUIRE(s.gomaxprocs <= s.ps.size() + s.torn);
  REQUIRE(s.ps.size() * sizeof(goro_p_rec) <= len);
  REQUIRE(s.ms.size() * sizeof(goro_m_rec) <= len);
  REQUIRE(s.gs.size() <= s.g_slots);
  REQUIRE(s.g_slots * sizeof(goro_g_rec) <= len);
  for (const GoroP& p : s.ps) REQUIRE(std::string(pstatus_name(p.status)) != "?");
  for (const GoroM& m : s.ms) REQUIRE((m.p_id >= -1 && m.p_id < static_cast<int32_t>(s.ps.size() + s.torn)));
  for (const GoroG& g : s.gs) {
    REQUIRE(g.goid != 0);
    REQUIRE(std::string(gstate_name(g.state)) != "?");
    REQUIRE(std::string(wait_reason_name(g.wait_reason)) != "?");
    REQUIRE(g.stack_lo <= g.stack_hi);
  }
}

}  // namespace

TEST_CASE("the reader survives thousands of corrupted segments", "[goro][fuzz]") {
  const SegmentBuilder base = valid_segment();
  SegmentBuilder work = base;
  std::mt19937_64 rng(0x90a0);  // fixed: a failure reproduces
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    work = base;
    std::span<std::byte> seg = work.bytes();
    size_t len = seg.size();
    for (int n = 1 + static_cast<int>(rng() % 3); n > 0; --n) mutate(rng, seg, len);
    INFO("iteration " << iter);
    goro::ParseOptions o;
    o.now_ns = 1'000'000;
    o.retries = 2;
    try {
      const GoroSnapshot s = goro::parse_segment(seg.first(len), o, "fuzz");
      check_bounded(s, len);
      ++accepted;
    } catch (const Error& e) {
      REQUIRE(std::strchr(e.what(), '\n') == nullptr);  // one line
      REQUIRE(std::string(e.what()).rfind("fuzz: ", 0) == 0);  // names the segment
      ++rejected;
    }
  }
  // Both outcomes must occur, or the mutations are not exercising the checks.
  CHECK(accepted > 1000);
  CHECK(rejected > 1000);
}

TEST_CASE("the fd reader survives corrupted files of every length", "[goro][fuzz]") {
  const SegmentBuilder base = valid_segment();
  SegmentBuilder work = base;
  std::mt19937_64 rng(0xfd);
  const int fd = memfd_create("goro-fuzz", MFD_CLOEXEC);
  REQUIRE(fd >= 0);
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < 500; ++iter) {
    work = base;
    std::span<std::byte> seg = work.bytes();
    size_t len = seg.size();
    mutate(rng, seg, len);
    REQUIRE(ftruncate(fd, 0) == 0);
    REQUIRE(pwrite(fd, seg.data(), len, 0) == static_cast<ssize_t>(len));
    INFO("iteration " << iter);
    try {
      check_bounded(goro::read_segment_fd(fd, {}, "memfd"), len);
      ++accepted;
    } catch (const Error& e) {
      REQUIRE(std::string(e.what()).rfind("memfd: ", 0) == 0);
      ++rejected;
    }
  }
  close(fd);
  CHECK(accepted > 0);
  CHECK(rejected > 0);
}

TEST_CASE("a fresh valid segment is accepted whole", "[goro][fuzz]") {
  SegmentBuilder b = valid_segment();
  const GoroSnapshot s = goro::parse_segment(b.bytes(), {}, "seg");
  CHECK(s.ps.size() == 4);
  CHECK(s.ms.size() == 5);
  CHECK(s.gs.size() == 40 - 6);  // slots 3, 10, 17, 24, 31, 38 are free
  CHECK(s.torn == 0);
}
