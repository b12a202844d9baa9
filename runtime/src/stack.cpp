// stack.cpp: G stacks carved from one reserved arena, with guard pages and overflow detection.
//
// The arena is one MAP_NORESERVE mapping (64 GiB of address space, no memory until touched).
// Slot i is [guard | usable stack ... | G struct]: the G lives at the top of its own stack, so a G
// and its stack are one allocation, pooled together and reused warm (pools in sched.cpp).
// Guards: MADV_GUARD_INSTALL (Linux 6.13+) marks the guard pages inside the one VMA, so a million
// stacks cost one VMA. Slots are carved in doubling batches (up to 1024): one process_madvise
// installs 64 slots' guards and another faults in the batch's top pages (Linux 6.15+; older
// kernels get one madvise per guard and ordinary page faults). Older kernels fall back to mprotect(PROT_NONE), which splits the VMA per
// stack: vm.max_map_count (65530 by default) then caps live stacks near 32k.
// A SIGSEGV handler on each M's alternate signal stack turns a touch of a guard into
// "goro: stack overflow in goroutine N (stack [lo,hi))" instead of silent corruption.
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>

#include <new>

#include "introspect.h"
#include "sched.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace goro::detail {

static StackInfo info;
static char* arena;
static std::atomic<uint32_t> next_slot{0};
static uint32_t guarded_upto = 0;  // slots below this kept their guard from an earlier run()
constexpr size_t kArenaBytes = size_t(64) << 30;
constexpr size_t kGuardBytes = 16 << 10;
constexpr size_t kAltStack = 64 << 10;
constexpr uint32_t kCarveMax = 1024;  // slots per batch at most

const StackInfo& stack_info() { return info; }
uint32_t stack_slots_used() { return next_slot.load(std::memory_order_relaxed); }

void stack_init(size_t stack_size) {
  size_t page = size_t(sysconf(_SC_PAGESIZE));
  stack_size = (stack_size + page - 1) / page * page;
  guarded_upto = std::max(guarded_upto, next_slot.load());
  next_slot.store(0);
  if (arena && info.stack_size == stack_size) return;
  if (arena) munmap(arena, kArenaBytes);  // another stack size: a fresh arena
  guarded_upto = 0;
  void* a = mmap(nullptr, kArenaBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (a == MAP_FAILED) fatal("goro: cannot reserve the stack arena (mmap 64 GiB MAP_NORESERVE)");
  arena = static_cast<char*>(a);
  info.arena_lo = uintptr_t(a);
  info.arena_hi = info.arena_lo + kArenaBytes;
  info.guard_size = kGuardBytes;
  info.stack_size = stack_size;
  info.slot_size = stack_size + kGuardBytes;
  info.nslots = uint32_t(std::min<size_t>(kArenaBytes / info.slot_size, 1u << 22));
  info.guard_kind = madvise(arena, kGuardBytes, MADV_GUARD_INSTALL) == 0 ? 2 : 1;
}

// madvise_slots() applies `advice` to `len` bytes at offset `off` of n consecutive slots from
// base with process_madvise, 64 slots a call (Linux 6.15+ takes PIDFD_SELF for the calling process; with it a
// batch costs 1/64 of a syscall per slot instead of one). Returns false when the kernel refused it.
static bool madvise_slots(char* base, uint32_t n, size_t off, size_t len, int advice) {
  constexpr int kPidfdSelf = -10001;  // PIDFD_SELF_THREAD_GROUP (linux/pidfd.h, 6.15)
  constexpr uint32_t kIov = 64;       // per call; thread_local, not on the (small) G stack
  static thread_local iovec iov[kIov];
  for (uint32_t done = 0; done < n;) {
    uint32_t k = std::min(kIov, n - done);
    for (uint32_t i = 0; i < k; i++) iov[i] = {base + size_t(done + i) * info.slot_size + off, len};
    if (syscall(SYS_process_madvise, kPidfdSelf, iov, size_t(k), advice, 0u) != ssize_t(k * len)) return false;
    done += k;
  }
  return true;
}

// carve_size() is how many slots the next carve takes: as many as were carved so far (so the
// batches double and at most half of what was carved sits unused), 1 to kCarveMax.
static uint32_t carve_size(uint32_t carved) { return std::min<uint32_t>(kCarveMax, std::max<uint32_t>(1, carved)); }

G* stack_carve(uint32_t* count) {
  uint32_t n = carve_size(next_slot.load(std::memory_order_relaxed));
  uint32_t idx = next_slot.fetch_add(n, std::memory_order_relaxed);
  if (idx >= info.nslots) return nullptr;
  n = std::min(n, info.nslots - idx);
  char* base = arena + size_t(idx) * info.slot_size;
  // Guards: slots below guarded_upto kept theirs from an earlier run(); stack_init guarded slot 0.
  uint32_t g0 = std::max(idx, std::max(guarded_upto, info.guard_kind == 2 ? 1u : 0u));
  if (g0 < idx + n) {
    char* gb = arena + size_t(g0) * info.slot_size;
    uint32_t gn = idx + n - g0;
    if (info.guard_kind != 2 || !madvise_slots(gb, gn, 0, kGuardBytes, MADV_GUARD_INSTALL))
      for (uint32_t i = 0; i < gn; i++) {
        char* b = gb + size_t(i) * info.slot_size;
        int rc = info.guard_kind == 2 ? madvise(b, kGuardBytes, MADV_GUARD_INSTALL) : mprotect(b, kGuardBytes, PROT_NONE);
        if (rc != 0) fatal("goro: cannot install a stack guard (mprotect: is vm.max_map_count too low for this many goroutines?)");
      }
  }
  // Fault in each slot's top page (its G, the closure, the first frames) and the G records in one
  // go: a page fault costs ~15 us on this kind of VM, a populated page ~1 us. Best effort.
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  if (n > 1) {
    madvise_slots(base, n, info.slot_size - page, page, MADV_POPULATE_WRITE);
    uintptr_t lo = uintptr_t(&seg.g[idx]) & ~(page - 1), hi = (uintptr_t(&seg.g[idx + n]) + page - 1) & ~(page - 1);
    madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_POPULATE_WRITE);
  }
  G* first = nullptr;
  for (uint32_t i = n; i-- > 0;) {
    char* b = base + size_t(i) * info.slot_size;
    G* g = new (slot_g(idx + i)) G();
    g->slot = idx + i;
    g->ctx.stack_lo = uintptr_t(b) + kGuardBytes;
    g->ctx.stack_hi = uintptr_t(g);
    g->rec = &seg.g[idx + i];
    g->link = first;
    first = g;
  }
  // g_hwm only grows; store-release after the record slots exist (they are zero: goid 0 = free).
  uint32_t want = idx + n, cur = __atomic_load_n(&seg.desc->g_hwm, __ATOMIC_RELAXED);
  while (cur < want && !__atomic_compare_exchange_n(&seg.desc->g_hwm, &cur, want, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
  }
  *count = n;
  return first;
}

G* slot_g(uint32_t idx) {
  uintptr_t base = info.arena_lo + size_t(idx) * info.slot_size;
  return reinterpret_cast<G*>((base + info.slot_size - sizeof(G)) & ~uintptr_t(63));
}

// ---- overflow detection ---------------------------------------------------------------------------
static struct sigaction old_segv;
static bool handler_installed;

static char* fmt_u(char* p, uint64_t v, int base) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  if (base == 16) *p++ = '0', *p++ = 'x';
  while (n) *p++ = tmp[--n];
  return p;
}

static void on_segv(int sig, siginfo_t* si, void* uc) {
  uintptr_t a = uintptr_t(si->si_addr);
  if (arena && a >= info.arena_lo && a < info.arena_lo + size_t(info.nslots) * info.slot_size &&
      (a - info.arena_lo) % info.slot_size < info.guard_size) {
    uintptr_t base = info.arena_lo + (a - info.arena_lo) / info.slot_size * info.slot_size;
    uintptr_t hi = (base + info.slot_size - sizeof(G)) & ~uintptr_t(63);
    const G* g = reinterpret_cast<const G*>(hi);
    char buf[192], *p = buf;
    const char* s1 = "goro: stack overflow in goroutine ";
    p = stpcpy(p, s1);
    p = fmt_u(p, g->goid, 10);
    p = stpcpy(p, " (stack [");
    p = fmt_u(p, base + info.guard_size, 16);
    *p++ = ',';
    p = fmt_u(p, hi, 16);
    p = stpcpy(p, "))\n");
    ssize_t ignored = write(2, buf, size_t(p - buf));
    (void)ignored;
    introspect_unlink_now();
    signal(SIGSEGV, SIG_DFL);  // returning re-faults: die by SIGSEGV (with a core if enabled)
    return;
  }
  if (old_segv.sa_flags & SA_SIGINFO) {
    if (old_segv.sa_sigaction) return old_segv.sa_sigaction(sig, si, uc);
  } else if (old_segv.sa_handler != SIG_DFL && old_segv.sa_handler != SIG_IGN) {
    return old_segv.sa_handler(sig);
  }
  introspect_unlink_now();
  signal(SIGSEGV, SIG_DFL);
}

void overflow_handler_install() {
  struct sigaction sa {};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  handler_installed = sigaction(SIGSEGV, &sa, &old_segv) == 0;
}

void overflow_handler_remove() {
  if (handler_installed) sigaction(SIGSEGV, &old_segv, nullptr);
  handler_installed = false;
}

void sigaltstack_setup(M* m) {
  void* a = mmap(nullptr, kAltStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (a == MAP_FAILED) return;
  stack_t ss{};
  ss.ss_sp = a;
  ss.ss_size = kAltStack;
  if (sigaltstack(&ss, nullptr) != 0) {
    munmap(a, kAltStack);
    return;
  }
  m->altstack = a;
}

void sigaltstack_teardown(M* m) {
  if (!m->altstack) return;
  stack_t ss{};
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, nullptr);
  munmap(m->altstack, kAltStack);
  m->altstack = nullptr;
}

}  // namespace goro::detail
