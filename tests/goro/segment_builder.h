// segment_builder.h: building valid goro segments in memory for reader tests.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "goro/introspect_abi.h"

namespace ts::test {

// SegmentBuilder lays out a goro segment: descriptor, then P, M and G tables, 8-byte aligned.
// Fill the records through p()/m()/g(), then bytes() is the segment.
class SegmentBuilder {
 public:
  // SegmentBuilder() makes a segment with `np` Ps, `m_cap` M slots and `g_cap` G slots, all zero
  // except the descriptor, which is valid (pid, gomaxprocs = np, m_count = g_hwm = 0).
  SegmentBuilder(int32_t pid, uint32_t np, uint32_t m_cap, uint32_t g_cap) {
    const uint64_t p_off = sizeof(goro_abi_desc);
    const uint64_t m_off = p_off + np * sizeof(goro_p_rec);
    const uint64_t g_off = m_off + m_cap * sizeof(goro_m_rec);
    const uint64_t size = g_off + g_cap * sizeof(goro_g_rec);
    words_.assign(size / 8, 0);
    goro_abi_desc& d = desc();
    d.magic = GORO_ABI_MAGIC;
    d.version = GORO_ABI_VERSION;
    d.desc_size = sizeof(goro_abi_desc);
    d.pid = pid;
    d.gomaxprocs = np;
    d.start_unix_ns = 1'700'000'000'000'000'000ull;
    d.segment_size = size;
    d.p_off = p_off; d.p_count = np; d.p_size = sizeof(goro_p_rec);
    d.m_off = m_off; d.m_cap = m_cap; d.m_size = sizeof(goro_m_rec);
    d.g_off = g_off; d.g_cap = g_cap; d.g_size = sizeof(goro_g_rec);
    d.stack_size = 8192;
    d.guard_kind = 2;
    for (uint32_t i = 0; i < np; ++i) { p(i).id = i; p(i).m_id = -1; }
  }
  // desc() is the descriptor, to edit.
  goro_abi_desc& desc() { return *reinterpret_cast<goro_abi_desc*>(words_.data()); }
  // p(), m(), g() are records by slot, to edit (no bounds check: tests index what they built).
  goro_p_rec& p(uint32_t i) { return at<goro_p_rec>(desc().p_off, i); }
  goro_m_rec& m(uint32_t i) { return at<goro_m_rec>(desc().m_off, i); }
  goro_g_rec& g(uint32_t i) { return at<goro_g_rec>(desc().g_off, i); }
  // bytes() is the whole segment (8-byte aligned).
  std::span<std::byte> bytes() { return {reinterpret_cast<std::byte*>(words_.data()), words_.size() * 8}; }

 private:
  template <class T>
  T& at(uint64_t off, uint32_t i) { return *reinterpret_cast<T*>(reinterpret_cast<char*>(words_.data()) + off + i * sizeof(T)); }
  std::vector<uint64_t> words_;
};

}  // namespace ts::test
