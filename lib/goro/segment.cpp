// segment.cpp: validate a goro segment's descriptor, copy its records under their sequence
// counters, and turn them into a GoroSnapshot. Nothing read from the segment is trusted.
#include "goro/segment.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <vector>

#include "goro/bus_guard.h"
#include "goro/introspect_abi.h"
#include "model/error.h"
#include "sys/clock.h"

namespace ts::goro {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

[[noreturn]] void fail(const std::string& what, const std::string& msg) {
  throw Error(what + ": " + msg);
}

// TableCopy copies `count` records of `stride` bytes from `src` into `dst` (known_size each),
// each under its seq counter; torn[i] = 1 for records that never read consistently.
struct TableCopy {
  const std::byte* src;
  size_t stride;
  uint32_t count;
  std::byte* dst;
  size_t known_size;
  uint8_t* torn;
  int retries;
};

// copy_record() is the seqlock read: seq even and unchanged around the copy (acquire on the
// first load, acquire fence before the second, pairing with the writer's store-release).
bool copy_record(const std::byte* src, std::byte* dst, size_t n, int retries) {
  const auto* seq = reinterpret_cast<const uint32_t*>(src);
  for (int i = 0; i < retries; ++i) {
    const uint32_t s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
    if (s1 & 1u) {
      cpu_relax();
      continue;
    }
    std::memcpy(dst, src, n);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(seq, __ATOMIC_RELAXED) == s1) return true;
  }
  return false;
}

void copy_table(void* arg) {
  const TableCopy& t = *static_cast<const TableCopy*>(arg);
  for (uint32_t i = 0; i < t.count; ++i)
    t.torn[i] = !copy_record(t.src + i * t.stride, t.dst + i * t.known_size, t.known_size, t.retries);
}

struct DescCopy {
  const std::byte* src;
  goro_abi_desc* dst;
  uint32_t g_hwm;  // acquire: pairs with the allocator's store-release
  uint32_t m_count;
};

void copy_desc(void* arg) {
  auto& d = *static_cast<DescCopy*>(arg);
  std::memcpy(d.dst, d.src, sizeof *d.dst);
  const auto* live = reinterpret_cast<const goro_abi_desc*>(d.src);
  d.g_hwm = __atomic_load_n(&live->g_hwm, __ATOMIC_ACQUIRE);
  d.m_count = __atomic_load_n(&live->m_count, __ATOMIC_ACQUIRE);
}

// check_table() makes sure [off, off + count*size) lies inside the segment, without overflow.
void check_table(const std::string& what, const char* name, uint64_t off, uint32_t count, uint32_t size,
                 size_t known, uint32_t desc_size, size_t seg_size, const Limits& lim) {
  if (size < known || size > lim.max_record || size % 8 != 0)
    fail(what, std::string(name) + " record size " + std::to_string(size) + " is not a multiple of 8 in [" +
                   std::to_string(known) + ", " + std::to_string(lim.max_record) + "]: corrupt segment");
  uint64_t bytes = 0, end = 0;
  if (off % 8 != 0 || off < desc_size || __builtin_mul_overflow(uint64_t{count}, uint64_t{size}, &bytes) ||
      __builtin_add_overflow(off, bytes, &end) || end > seg_size)
    fail(what, std::string(name) + " table (offset " + std::to_string(off) + ", " + std::to_string(count) + " x " +
                   std::to_string(size) + " bytes) does not fit in the " + std::to_string(seg_size) +
                   "-byte segment: corrupt or truncated segment");
}

template <class Rec>
std::vector<Rec> copy_records(const std::string& what, const char* name, std::span<const std::byte> seg,
                              uint64_t off, uint32_t count, uint32_t stride, int retries,
                              std::vector<uint8_t>& torn) {
  std::vector<Rec> recs(count);
  torn.assign(count, 0);
  TableCopy t{seg.data() + off, stride, count, reinterpret_cast<std::byte*>(recs.data()), sizeof(Rec),
              torn.data(), retries < 1 ? 1 : retries};
  if (!run_guarded(copy_table, &t)) fail(what, std::string("the segment shrank while its ") + name +
                                                   " table was read (truncated by its owner?)");
  return recs;
}

std::string bad_value(const char* rec, uint32_t slot, const char* field, int64_t v) {
  return std::string(rec) + " slot " + std::to_string(slot) + ": " + field + " " + std::to_string(v) +
         " is out of range: corrupt segment or a newer goro runtime";
}

// RecordCheck validates one record's fields; a bad one throws naming the record, slot and field.
struct RecordCheck {
  const std::string& what;
  const char* rec;
  uint32_t slot;

  // in() returns v when lo <= v <= hi.
  template <class T>
  T in(T v, int64_t lo, int64_t hi, const char* field) const {
    if (static_cast<int64_t>(v) < lo || static_cast<int64_t>(v) > hi) fail(what, bad_value(rec, slot, field, v));
    return v;
  }
  // flag() returns a 0/1 field as a bool.
  bool flag(uint64_t v, const char* field) const { return in<uint64_t>(v, 0, 1, field) != 0; }
};

PStatus p_status(uint32_t s, const RecordCheck& c) {
  switch (s) {
    case GORO_P_IDLE: return PStatus::Idle;
    case GORO_P_RUNNING: return PStatus::Running;
    case GORO_P_SYSCALL: return PStatus::Syscall;
    case GORO_P_DEAD: return PStatus::Dead;
  }
  fail(c.what, bad_value(c.rec, c.slot, "status", s));
}

GoroP to_p(const goro_p_rec& r, uint32_t slot, uint32_t p_count, const std::string& what) {
  const RecordCheck c{what, "P", slot};
  return GoroP{.id = c.in(r.id, 0, int64_t{p_count} - 1, "id"), .status = p_status(r.status, c),
               .m_id = c.in(r.m_id, -1, INT32_MAX, "m"), .runq_len = r.runq_len, .runnext_goid = r.runnext_goid,
               .schedtick = r.schedtick, .syscalltick = r.syscalltick, .switches = r.switches,
               .gs_created = r.gs_created, .steals = r.steals};
}

GoroM to_m(const goro_m_rec& r, uint32_t slot, uint32_t p_count, const std::string& what) {
  const RecordCheck c{what, "M", slot};
  return GoroM{.id = r.id, .tid = c.in(r.tid, 0, INT32_MAX, "tid"), .tid_alive = true,
               .p_id = c.in(r.p_id, -1, int64_t{p_count} - 1, "p"), .spinning = c.flag(r.spinning, "spinning"),
               .in_syscall = c.flag(r.in_syscall, "in_syscall"), .parked = c.flag(r.parked, "parked"),
               .sysmon = (r.flags & GORO_MF_SYSMON) != 0, .cur_goid = r.cur_goid};
}

GoroG to_g(const goro_g_rec& r, uint32_t slot, uint64_t now, const std::string& what) {
  GoroG g;
  g.goid = r.goid;
  switch (r.state) {
    case GORO_G_IDLE: g.state = GState::Idle; break;
    case GORO_G_RUNNABLE: g.state = GState::Runnable; break;
    case GORO_G_RUNNING: g.state = GState::Running; break;
    case GORO_G_SYSCALL: g.state = GState::Syscall; break;
    case GORO_G_WAITING: g.state = GState::Waiting; break;
    case GORO_G_DEAD: g.state = GState::Dead; break;
    default: fail(what, bad_value("G", slot, "state", r.state));
  }
  if (r.wait_reason >= GORO_WAIT_REASON_MAX) fail(what, bad_value("G", slot, "wait reason", r.wait_reason));
  static_assert(uint32_t(WaitReason::Timer) == GORO_WAIT_TIMER && GORO_WAIT_TIMER + 1 == GORO_WAIT_REASON_MAX,
                "WaitReason follows goro_wait_reason value for value");
  g.wait_reason = static_cast<WaitReason>(r.wait_reason);
  if (r.m_id < -1) fail(what, bad_value("G", slot, "m", r.m_id));
  g.m_id = r.m_id;
  if (r.stack_lo > r.stack_hi)
    fail(what, "G slot " + std::to_string(slot) + ": stack bounds are reversed: corrupt segment");
  g.wait_since_ns = r.wait_since_ns;
  g.wait_ns = g.state == GState::Waiting && r.wait_since_ns && now > r.wait_since_ns ? now - r.wait_since_ns : 0;
  g.run_since_ns = r.run_since_ns;
  g.run_ns = g.state == GState::Running && r.run_since_ns && now > r.run_since_ns ? now - r.run_since_ns : 0;
  g.parent_goid = r.parent_goid;
  g.create_pc = r.create_pc;
  g.start_pc = r.start_pc;
  g.stack_lo = r.stack_lo;
  g.stack_hi = r.stack_hi;
  g.sp = r.sp;
  g.pc = r.pc;
  g.fp = r.fp;
  // sysmon's set is racy: on a G no longer running the flag is stale (it clears it when it stops).
  g.long_running = (r.flags & GORO_GF_LONG_RUNNING) && g.state == GState::Running;
  g.main = r.flags & GORO_GF_MAIN;
  g.system = r.flags & GORO_GF_SYSTEM;
  return g;
}

}  // namespace

GoroSnapshot parse_segment(std::span<const std::byte> seg, const ParseOptions& opt, const std::string& what) {
  GoroSnapshot s;
  s.taken_ns = opt.now_ns ? opt.now_ns : sys::monotonic_ns();
  if (reinterpret_cast<uintptr_t>(seg.data()) % 8 != 0) fail(what, "segment is not 8-byte aligned in memory");
  if (seg.size() < sizeof(goro_abi_desc))
    fail(what, "too small for a goro segment (" + std::to_string(seg.size()) + " bytes): is the runtime still starting?");

  goro_abi_desc d{};
  DescCopy dc{seg.data(), &d, 0, 0};
  if (!run_guarded(copy_desc, &dc)) fail(what, "the segment shrank while its descriptor was read");
  if (d.magic != GORO_ABI_MAGIC) fail(what, "bad magic: not a goro introspection segment");
  if (d.version != GORO_ABI_VERSION)
    fail(what, "goro ABI version " + std::to_string(d.version) + ", but this taskscope reads version " +
                   std::to_string(GORO_ABI_VERSION) + ": use a taskscope built with the same goro");
  const Limits& lim = opt.limits;
  if (d.desc_size < sizeof(goro_abi_desc) || d.desc_size > lim.max_record || d.desc_size > seg.size())
    fail(what, "descriptor size " + std::to_string(d.desc_size) + " is out of range: corrupt segment");
  if (opt.expect_pid >= 0 && d.pid != opt.expect_pid)
    fail(what, "segment belongs to pid " + std::to_string(d.pid) + ", not " + std::to_string(opt.expect_pid) +
                   ": stale segment from an earlier process?");
  if (d.p_count > lim.max_ps) fail(what, "claims " + std::to_string(d.p_count) + " Ps (at most " + std::to_string(lim.max_ps) + "): corrupt segment");
  if (d.gomaxprocs > d.p_count) fail(what, "gomaxprocs " + std::to_string(d.gomaxprocs) + " exceeds the " + std::to_string(d.p_count) + " P slots: corrupt segment");
  if (d.m_cap > lim.max_ms) fail(what, "claims " + std::to_string(d.m_cap) + " M slots (at most " + std::to_string(lim.max_ms) + "): corrupt segment");
  if (dc.m_count > d.m_cap) fail(what, "m_count " + std::to_string(dc.m_count) + " exceeds m_cap " + std::to_string(d.m_cap) + ": corrupt segment");
  if (dc.g_hwm > d.g_cap) fail(what, "g_hwm " + std::to_string(dc.g_hwm) + " exceeds g_cap " + std::to_string(d.g_cap) + ": corrupt segment");
  if (dc.g_hwm > lim.max_gs) fail(what, "claims " + std::to_string(dc.g_hwm) + " G slots in use (at most " + std::to_string(lim.max_gs) + " read)");
  check_table(what, "P", d.p_off, d.p_count, d.p_size, sizeof(goro_p_rec), d.desc_size, seg.size(), lim);
  check_table(what, "M", d.m_off, d.m_cap, d.m_size, sizeof(goro_m_rec), d.desc_size, seg.size(), lim);
  check_table(what, "G", d.g_off, d.g_cap, d.g_size, sizeof(goro_g_rec), d.desc_size, seg.size(), lim);

  s.pid = d.pid;
  s.start_unix_ns = d.start_unix_ns;
  s.gomaxprocs = d.gomaxprocs;
  s.stack_size = d.stack_size;
  s.guard_kind = d.guard_kind;
  // The arena is only described, never dereferenced; still, keep it self-consistent or drop it.
  if (d.arena_lo < d.arena_hi && d.slot_size > d.guard_size && d.slot_size <= d.arena_hi - d.arena_lo) {
    s.arena_lo = d.arena_lo, s.arena_hi = d.arena_hi;
    s.slot_size = d.slot_size, s.guard_size = d.guard_size;
  }
  s.sysmon_ticks = d.sysmon_ticks;
  s.global_runq_len = d.global_runq_len;
  s.g_slots = dc.g_hwm;

  std::vector<uint8_t> torn;
  const auto ps = copy_records<goro_p_rec>(what, "P", seg, d.p_off, d.p_count, d.p_size, opt.retries, torn);
  for (uint32_t i = 0; i < ps.size(); ++i) {
    if (torn[i]) { ++s.torn; continue; }
    s.ps.push_back(to_p(ps[i], i, d.p_count, what));
  }
  const auto ms = copy_records<goro_m_rec>(what, "M", seg, d.m_off, dc.m_count, d.m_size, opt.retries, torn);
  for (uint32_t i = 0; i < ms.size(); ++i) {
    if (torn[i]) { ++s.torn; continue; }
    if (ms[i].tid == 0) continue;  // slot not in use
    s.ms.push_back(to_m(ms[i], i, d.p_count, what));
  }
  const auto gs = copy_records<goro_g_rec>(what, "G", seg, d.g_off, dc.g_hwm, d.g_size, opt.retries, torn);
  for (uint32_t i = 0; i < gs.size(); ++i) {
    if (torn[i]) { ++s.torn; continue; }
    if (gs[i].goid == 0) continue;  // free slot
    s.gs.push_back(to_g(gs[i], i, s.taken_ns, what));
  }
  return s;
}

GoroSnapshot read_segment_fd(int fd, const ParseOptions& opt, const std::string& what) {
  struct stat st {};
  if (fstat(fd, &st) != 0) fail(what, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(what, "not a regular file");
  const auto size = static_cast<size_t>(st.st_size);
  if (size < sizeof(goro_abi_desc))
    fail(what, "too small for a goro segment (" + std::to_string(size) + " bytes): is the runtime still starting?");
  void* base = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) fail(what, std::string("cannot map: ") + std::strerror(errno));
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() { munmap(p, n); }
  } unmap{base, size};
  return parse_segment({static_cast<const std::byte*>(base), size}, opt, what);
}

}  // namespace ts::goro
