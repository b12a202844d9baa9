// introspect.h: writing the published G/M/P records (introspect_abi.h) from the scheduler.
// Each record has one writer at a time; the writer brackets its stores with rec_begin/rec_end
// (seq odd while writing). Plain relaxed stores: no syscalls, no locks, no fences on x86 beyond
// what the compiler must not reorder.
#pragma once
#include <stdint.h>

#include "goro/introspect_abi.h"

namespace goro::detail {

// Segment is the mapped introspection segment of the running runtime.
struct Segment {
  goro_abi_desc* desc = nullptr;
  goro_p_rec* p = nullptr;
  goro_m_rec* m = nullptr;
  goro_g_rec* g = nullptr;
  uint64_t size = 0;
  bool shared = false;  // false: /dev/shm unusable, records kept in private memory
  char name[32] = {};
};
extern Segment seg;

// StackArena is what the segment publishes about the G stack arena (stack.cpp's StackInfo).
struct StackArena {
  uint64_t lo, hi;            // the reserved arena [lo, hi)
  uint64_t slot_size, guard_size;
  uint32_t nslots;            // slots the arena holds: the G table's capacity
  uint32_t stack_size;        // default G stack size, bytes
  uint32_t guard_kind;        // 0 none, 1 mprotect, 2 MADV_GUARD_INSTALL
};

// introspect_open() creates "/goro.<pid>" sized for the tables (a G record per arena slot);
// falls back to private memory.
void introspect_open(uint32_t nprocs, uint32_t m_cap, const StackArena& arena);
// introspect_close() unmaps and unlinks the segment.
void introspect_close();
// unlink_segment_only() removes the name but keeps the mapping (threads may still write to it).
void unlink_segment_only();
// introspect_unlink_now() removes the segment's name, async-signal-safe: for paths that _exit or die.
void introspect_unlink_now();

// GORO_SEQ_FENCE(order): the seqlock's fences. TSan does not model fences (g++ refuses them under
// -fsanitize=thread); there the seq accesses themselves are seq_cst instead, which TSan does model.
#if defined(__SANITIZE_THREAD__)
#define GORO_SEQ_FENCE(order) ((void)0)
#define GORO_SEQ_ORDER __ATOMIC_SEQ_CST
#else
#define GORO_SEQ_FENCE(order) __atomic_thread_fence(order)
#define GORO_SEQ_ORDER __ATOMIC_RELAXED
#endif

template <class T>
inline void st(T& field, T v) {
  __atomic_store_n(&field, v, __ATOMIC_RELAXED);
}
// rec_begin() makes seq odd: store, then release fence so no field store moves above it.
inline void rec_begin(uint32_t& seq) {
  __atomic_store_n(&seq, __atomic_load_n(&seq, __ATOMIC_RELAXED) + 1, GORO_SEQ_ORDER);
  GORO_SEQ_FENCE(__ATOMIC_RELEASE);
}
// rec_end() makes seq even with a store-release: pairs with the reader's acquire load of seq.
inline void rec_end(uint32_t& seq) {
  __atomic_store_n(&seq, __atomic_load_n(&seq, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}
// rec_open()/rec_close(): rec_begin/rec_end for the hot path, loading seq once (perf annotate: the
// reload of seq right after storing it was the costliest instruction of a switch's publishing).
inline uint32_t rec_open(uint32_t& seq) {
  uint32_t s = __atomic_load_n(&seq, __ATOMIC_RELAXED) + 1;
  __atomic_store_n(&seq, s, GORO_SEQ_ORDER);
  GORO_SEQ_FENCE(__ATOMIC_RELEASE);
  return s;
}
inline void rec_close(uint32_t& seq, uint32_t s) { __atomic_store_n(&seq, s + 1, __ATOMIC_RELEASE); }

}  // namespace goro::detail
