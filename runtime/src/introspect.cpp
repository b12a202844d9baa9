// introspect.cpp: the shared-memory segment "/goro.<pid>" holding the published G/M/P records,
// and its removal on every way the process can end while run() is active: run() returning,
// exit(), the runtime's own fatal errors and panics (which _exit), the stack overflow handler, and
// fatal signals left at their default action (the name is unlinked, then the signal kills as
// before). Only SIGKILL (and signals the program handles itself) leave a stale name behind; the
// next process with that pid removes it, and readers check the pid recorded inside.
#include "introspect.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

namespace goro::detail {

Segment seg;

// The segment's path, built once at open so that unlinking it is async-signal-safe (shm_unlink
// builds it at each call, which POSIX does not promise to be safe in a handler).
static char shm_path[64];
static volatile sig_atomic_t path_ready = 0;

void introspect_unlink_now() {
  if (path_ready) unlink(shm_path);
}

// Fatal signals whose default action ends the process. SIGSEGV belongs to the overflow handler
// (stack.cpp), which calls introspect_unlink_now() itself.
static const int kFatalSignals[] = {SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGTERM, SIGXCPU, SIGXFSZ};
constexpr int kNumFatal = sizeof kFatalSignals / sizeof kFatalSignals[0];
static bool installed[kNumFatal];

static void on_fatal_signal(int sig) {
  introspect_unlink_now();
  signal(sig, SIG_DFL);
  // A raised signal is blocked until we return, then kills; a fault re-executes and kills.
  if (sig != SIGILL && sig != SIGBUS && sig != SIGFPE) raise(sig);
}

static void install_cleanup() {
  static bool at_exit = false;
  if (!at_exit) at_exit = atexit(introspect_unlink_now) == 0;
  for (int i = 0; i < kNumFatal; i++) {
    struct sigaction old {};
    installed[i] = false;
    // Only where nobody else (the program, a sanitizer) handles or ignores the signal.
    if (sigaction(kFatalSignals[i], nullptr, &old) != 0 || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
      continue;
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    installed[i] = sigaction(kFatalSignals[i], &sa, nullptr) == 0;
  }
}

static void remove_cleanup() {
  path_ready = 0;
  for (int i = 0; i < kNumFatal; i++) {
    struct sigaction cur {};
    // Put SIG_DFL back only if the handler is still ours (the program may have set its own).
    if (installed[i] && sigaction(kFatalSignals[i], nullptr, &cur) == 0 && !(cur.sa_flags & SA_SIGINFO) &&
        cur.sa_handler == on_fatal_signal)
      signal(kFatalSignals[i], SIG_DFL);
    installed[i] = false;
  }
}

static uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

void introspect_open(uint32_t nprocs, uint32_t m_cap, const StackArena& arena) {
  const uint32_t g_cap = arena.nslots;
  uint64_t p_off = round_up(sizeof(goro_abi_desc), 64);
  uint64_t m_off = round_up(p_off + uint64_t(nprocs) * sizeof(goro_p_rec), 4096);
  uint64_t g_off = round_up(m_off + uint64_t(m_cap) * sizeof(goro_m_rec), 4096);
  uint64_t size = round_up(g_off + uint64_t(g_cap) * sizeof(goro_g_rec), 4096);
  snprintf(seg.name, sizeof seg.name, "%s%d", GORO_ABI_SHM_PREFIX, int(getpid()));
  void* base = MAP_FAILED;
  shm_unlink(seg.name);  // a stale segment of a dead process that had our pid
  // Owner-only (0600): the records hold code addresses and stack pointers, an ASLR leak to any
  // other local user. fchmod sets the mode exactly, whatever the umask took away at creation;
  // readers run as the owner or as root.
  int fd = shm_open(seg.name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd >= 0) {
    if (fchmod(fd, S_IRUSR | S_IWUSR) == 0 && ftruncate(fd, off_t(size)) == 0)
      base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) shm_unlink(seg.name);
  }
  seg.shared = base != MAP_FAILED;
  if (seg.shared) {
    snprintf(shm_path, sizeof shm_path, "/dev/shm%s", seg.name);
    path_ready = 1;
    install_cleanup();
  }
  if (!seg.shared) {
    fprintf(stderr, "goro: cannot publish /dev/shm%s (%s); introspection from outside is off\n", seg.name, strerror(errno));
    base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
      fputs("fatal error: goro: cannot map the introspection tables\n", stderr);
      _exit(2);
    }
  }
  seg.size = size;
  auto* d = static_cast<goro_abi_desc*>(base);
  seg.desc = d;
  seg.p = reinterpret_cast<goro_p_rec*>(static_cast<char*>(base) + p_off);
  seg.m = reinterpret_cast<goro_m_rec*>(static_cast<char*>(base) + m_off);
  seg.g = reinterpret_cast<goro_g_rec*>(static_cast<char*>(base) + g_off);
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  d->version = GORO_ABI_VERSION;
  d->desc_size = sizeof(goro_abi_desc);
  d->pid = getpid();
  d->gomaxprocs = nprocs;
  d->start_unix_ns = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
  d->segment_size = size;
  d->p_off = p_off, d->p_count = nprocs, d->p_size = sizeof(goro_p_rec);
  d->m_off = m_off, d->m_cap = m_cap, d->m_size = sizeof(goro_m_rec);
  d->g_off = g_off, d->g_cap = g_cap, d->g_size = sizeof(goro_g_rec);
  d->stack_size = arena.stack_size;
  d->guard_kind = arena.guard_kind;
  d->arena_lo = arena.lo;
  d->arena_hi = arena.hi;
  d->slot_size = arena.slot_size;
  d->guard_size = arena.guard_size;
  for (uint32_t i = 0; i < nprocs; i++) {
    seg.p[i].id = i;
    seg.p[i].m_id = -1;
  }
  // magic last, store-release: a reader that sees it sees a complete descriptor.
  __atomic_store_n(&d->magic, GORO_ABI_MAGIC, __ATOMIC_RELEASE);
}

void unlink_segment_only() {
  if (seg.shared) shm_unlink(seg.name);
  seg.shared = false;
  remove_cleanup();
}

void introspect_close() {
  if (!seg.desc) return;
  munmap(seg.desc, seg.size);
  if (seg.shared) shm_unlink(seg.name);
  remove_cleanup();
  seg = Segment{};
}

}  // namespace goro::detail
