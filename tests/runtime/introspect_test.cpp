// introspect_test.cpp: the published segment /dev/shm/goro.<pid>, read back the way an outside
// reader would (its own shm_open + mmap, the seq protocol), checked against what the test knows;
// and the USDT probes in the binary's notes.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <string>

#include "../support/support.h"
#include "goro/introspect_abi.h"
#include "leak_check.h"

using goro::test::run_checked;

namespace {

template <class R>
bool read_rec(const R* src, R* dst) {
  for (int tries = 0; tries < 100; tries++) {
    uint32_t s1 = __atomic_load_n(&src->seq, __ATOMIC_ACQUIRE);
    auto* from = reinterpret_cast<const uint64_t*>(src);
    auto* to = reinterpret_cast<uint64_t*>(dst);
    for (size_t i = 0; i < sizeof(R) / 8; i++) to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
    GORO_SEQ_FENCE(__ATOMIC_ACQUIRE);  // the runtime's own fence macro (none under TSan)
    if (!(s1 & 1) && __atomic_load_n(&src->seq, GORO_SEQ_ORDER) == s1) return true;
  }
  return false;
}

struct Seen {
  bool opened = false;
  uint64_t magic = 0;
  uint32_t version = 0, gomaxprocs = 0, p_count = 0;
  int32_t pid = 0;
  bool sizes_ok = false;
  int m_with_tid = 0, m_tid_not_in_proc = 0;
  bool self_running = false, self_m_ok = false, self_flags_main = false;
  bool sleeper_waiting = false, sleeper_frame_ok = false, sleeper_parent_ok = false;
  bool p_running_ok = false;
  int sysmon_ms = 0;            // M records flagged GORO_MF_SYSMON
  bool sysmon_ok = false;       // ... with a live tid, no P, no G, not parked or spinning
  bool arena_ok = true;  // every G's stack lies in its own slot of the published arena
};

}  // namespace

TEST_CASE("the published segment matches what the process knows about itself", "[goro][introspect]") {
  int procs = GENERATE(1, 2, 4, 8);
  Seen s;
  std::string name;
  auto r = run_checked(procs, [&] {
    name = goro::test::segment_name();
    goro::go([] { goro::sleep_for(std::chrono::seconds(2)); });
    goro::sleep_for(std::chrono::milliseconds(5));  // the sleeper is parked in "sleep" by now (slow builds: rescanned below)
    int fd = shm_open(name.c_str(), O_RDONLY, 0);
    if (fd < 0) return;
    struct stat st;
    fstat(fd, &st);
    void* base = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) return;
    s.opened = true;
    auto* d = static_cast<const goro_abi_desc*>(base);
    s.magic = d->magic, s.version = d->version, s.gomaxprocs = d->gomaxprocs, s.p_count = d->p_count, s.pid = d->pid;
    s.sizes_ok = d->segment_size == uint64_t(st.st_size) && d->p_size == sizeof(goro_p_rec) &&
                 d->m_size == sizeof(goro_m_rec) && d->g_size == sizeof(goro_g_rec) &&
                 d->g_off + uint64_t(d->g_cap) * d->g_size <= d->segment_size && d->g_hwm <= d->g_cap;
    auto* cb = static_cast<const char*>(base);
    auto* ms = reinterpret_cast<const goro_m_rec*>(cb + d->m_off);
    auto* gs = reinterpret_cast<const goro_g_rec*>(cb + d->g_off);
    auto* ps = reinterpret_cast<const goro_p_rec*>(cb + d->p_off);
    uint64_t self = goro::self_id();
    int self_m = -1;
    // sysmon publishes its tid from its own thread: on a loaded machine it may not have run yet.
    const auto sysmon_published = [&] {
      for (uint32_t i = 0; i < d->m_count; i++) {
        goro_m_rec m{};
        if (read_rec(&ms[i], &m) && m.tid != 0 && (m.flags & GORO_MF_SYSMON)) return true;
      }
      return false;
    };
    for (int scan = 0; scan < 200 && !(s.sleeper_waiting && sysmon_published()); scan++) {
      if (scan) goro::sleep_for(std::chrono::milliseconds(5));
    for (uint32_t i = 0; i < d->g_hwm; i++) {
      goro_g_rec g{};
      if (!read_rec(&gs[i], &g) || g.goid == 0) continue;
      // Slot i is [arena_lo + i*slot_size, +slot_size): the guard at its bottom, then the stack.
      const uint64_t slot = d->arena_lo + uint64_t(i) * d->slot_size;
      if (d->arena_lo == 0 || d->arena_hi <= d->arena_lo || g.stack_lo < slot + d->guard_size ||
          g.stack_hi > slot + d->slot_size || g.stack_hi > d->arena_hi || d->guard_size == 0)
        s.arena_ok = false;
      if (g.goid == self) {
        s.self_running = g.state == GORO_G_RUNNING;
        self_m = g.m_id;
        s.self_flags_main = g.flags & GORO_GF_MAIN;
        uintptr_t here = uintptr_t(__builtin_frame_address(0));
        s.self_running = s.self_running && here >= g.stack_lo && here < g.stack_hi;
      } else if (g.state == GORO_G_WAITING && g.wait_reason == GORO_WAIT_SLEEP) {
        s.sleeper_waiting = true;
        s.sleeper_frame_ok = g.sp >= g.stack_lo && g.sp < g.stack_hi && g.fp >= g.sp && g.fp < g.stack_hi && g.pc != 0;
        s.sleeper_parent_ok = g.parent_goid == self && g.create_pc != 0 && g.start_pc != 0;
      }
    }
    }
    for (uint32_t i = 0; i < d->m_count; i++) {
      goro_m_rec m{};
      if (!read_rec(&ms[i], &m) || m.tid == 0) continue;
      s.m_with_tid++;
      if (m.flags & GORO_MF_SYSMON) {
        s.sysmon_ms++;
        s.sysmon_ok = access(("/proc/self/task/" + std::to_string(m.tid)).c_str(), F_OK) == 0 && m.p_id == -1 &&
                      m.cur_goid == 0 && !m.parked && !m.spinning && !m.in_syscall;
      }
      if (access(("/proc/self/task/" + std::to_string(m.tid)).c_str(), F_OK) != 0) s.m_tid_not_in_proc++;
      if (int(m.id) == self_m) {
        s.self_m_ok = m.cur_goid == self && m.p_id >= 0;
        if (s.self_m_ok && uint32_t(m.p_id) < d->p_count) {
          goro_p_rec p{};
          s.p_running_ok = read_rec(&ps[m.p_id], &p) && p.status == GORO_P_RUNNING && p.m_id == int32_t(m.id);
        }
      }
    }
    munmap(base, size_t(st.st_size));
  });
  CHECK(s.opened);
  CHECK(s.magic == GORO_ABI_MAGIC);
  CHECK(s.version == GORO_ABI_VERSION);
  CHECK(s.pid == getpid());
  CHECK(s.gomaxprocs == uint32_t(procs));
  CHECK(s.p_count == uint32_t(procs));
  CHECK(s.sizes_ok);
  CHECK(s.m_with_tid >= 2);
  CHECK(s.sysmon_ms == 1);  // sysmon has an M record, as Go's sysmon has an M
  CHECK(s.sysmon_ok);
  CHECK(s.m_tid_not_in_proc == 0);
  CHECK(s.self_running);
  CHECK(s.self_flags_main);
  CHECK(s.self_m_ok);
  CHECK(s.p_running_ok);
  CHECK(s.sleeper_waiting);
  CHECK(s.sleeper_frame_ok);
  CHECK(s.sleeper_parent_ok);
  CHECK(s.arena_ok);
  // Unlinked at exit.
  CHECK(shm_open(name.c_str(), O_RDONLY, 0) == -1);
  REQUIRE_NO_LEAKS(r);
}

TEST_CASE("the segment is readable and writable by its owner only (0600), whatever the umask", "[goro][introspect]") {
  int procs = GENERATE(1, 2, 4, 8);
  mode_t mask = GENERATE(mode_t(0), mode_t(0277));  // 0: nothing taken away; 0277: even the owner's write bit
  mode_t mode = 0;
  uid_t owner = uid_t(-1);
  const mode_t old_mask = umask(mask);
  auto r = run_checked(procs, [&] {
    struct stat st {};
    if (stat(("/dev/shm" + std::string(goro::test::segment_name())).c_str(), &st) == 0) mode = st.st_mode, owner = st.st_uid;
  });
  umask(old_mask);
  INFO("umask " << std::oct << mask << ", mode " << mode);
  CHECK(S_ISREG(mode));
  CHECK((mode & 07777) == 0600);
  CHECK(owner == geteuid());
  REQUIRE_NO_LEAKS(r);
}

TEST_CASE("USDT probes of provider goro are in the binary", "[goro][introspect]") {
  auto r = ts::test::run({"/usr/bin/readelf", "-n", ts::test::build_dir() + "/bin/runtime_tests"});
  REQUIRE(r.status == 0);
  for (const char* probe : {"g__create", "g__start", "g__park", "g__ready", "g__exit", "p__steal", "m__park",
                            "m__unpark", "syscall__enter", "syscall__exit"}) {
    INFO(probe);
    CHECK(r.out.find(std::string("Name: ") + probe) != std::string::npos);
  }
  CHECK(r.out.find("Provider: goro") != std::string::npos);
}
