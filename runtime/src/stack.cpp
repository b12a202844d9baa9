// stack.cpp: G stacks carved from one reserved arena, with guard gaps, overflow detection, and the
// deep pages of finished Gs given back.
//
// The arena is one reservation of address space (1 TiB; halved until the kernel grants it): slot i
// is [guard 64 KiB | usable stack ... | G struct]. The G lives at the top of its own stack, so a G
// and its stack are one allocation, pooled together and reused warm (pools in sched.cpp). The
// reservation is PROT_NONE beyond the slots carved so far (made read-write 1 GiB at a time), so a
// stray pointer into the unused part faults and a core dump walks only what was used. Slots are an
// odd number of pages apart (the guard gets a page more when needed) and each slot's G and band
// sit at one of 16 offsets in their page: at a page-multiple stride every G would share one L1
// cache set, and a spawn storm would miss on each (with both, spawn+run+exit got ~25% faster).
//
// Memory: a stack is address space; only the pages a G touches cost memory. A fresh slot has its
// top page faulted in (the G struct, the closure, the first frames; a parked G uses ~350 bytes).
// A G that went deep gives its deep pages back when it exits (stack_release, called by the context
// that runs next): everything below the top 32 KiB is dropped with MADV_DONTNEED, so a pooled G
// keeps at most 32 KiB, whatever its predecessors did. "Went deep" is a cheap check, no syscall: a
// 256-byte band of zeros near the bottom of what is known resident (the top page of a fresh slot,
// the bottom of the kept 32 KiB after a trim). A G that descends past the band runs calls inside
// it, and every call pushes a return address, so frames of up to 256 bytes cannot step over it;
// a nonzero word means trim. A larger frame that straddles the band without writing into it is
// missed: its pages stay until a later G in that slot writes the band. (A 512-byte band cost 50 ns
// more per spawn in a storm of 1024 Gs on the dev VM, 256 bytes 15-20 ns: four cold cache lines.)
//
// Guards: MADV_GUARD_INSTALL (Linux 6.13+) marks the guard pages inside the one VMA, so a million
// stacks cost one VMA (but the markers live in page tables: about 1/512 of the slot per G). Slots
// are carved in doubling batches (up to 1024): one process_madvise installs 64 slots' guards and
// another faults in the batch's top pages (Linux 6.15+; older kernels get one madvise per guard and
// ordinary page faults). Older kernels fall back to mprotect(PROT_NONE), which splits the VMA per
// stack: vm.max_map_count (65530 by default) then caps live stacks near 32k.
//
// Overflow: the guard is 64 KiB, so a frame smaller than that cannot step over it; the runtime is
// built with -fstack-clash-protection, so its larger frames probe page by page and cannot either.
// A SIGSEGV handler on each M's alternate signal stack turns a touch of a guard into
// "goro: stack overflow in goroutine N (stack [lo,hi))", naming the G the faulting thread runs.
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
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
static std::mutex grow_mu;
static std::atomic<uintptr_t> rw_hi{0};  // [arena_lo, rw_hi) is read-write (store-release under grow_mu)
#if defined(__SANITIZE_THREAD__)
constexpr size_t kArenaMax = size_t(128) << 30;  // TSan dies on an mmap outside its application ranges
#else
constexpr size_t kArenaMax = size_t(1) << 40;
#endif
constexpr size_t kArenaMin = size_t(1) << 30;
constexpr size_t kGrowBytes = size_t(1) << 30;  // read-write frontier step
constexpr size_t kGuardBytes = 64 << 10;
constexpr size_t kKeepBytes = 32 << 10;  // top of a stack never given back
constexpr size_t kBandBytes = 256;
constexpr size_t kAltStack = 64 << 10;
constexpr uint32_t kCarveMax = 1024;  // slots per batch at most

const StackInfo& stack_info() { return info; }
uint32_t stack_slots_used() { return next_slot.load(std::memory_order_relaxed); }

// reserve() maps the largest PROT_NONE reservation up to kArenaMax the kernel grants (RLIMIT_AS,
// overcommit policy, a sanitizer's address ranges), at least kArenaMin.
static void reserve() {
  for (size_t bytes = kArenaMax; bytes >= kArenaMin; bytes /= 2) {
    void* a = mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a == MAP_FAILED) continue;
    arena = static_cast<char*>(a);
    info.arena_lo = uintptr_t(a);
    info.arena_hi = info.arena_lo + bytes;
    madvise(a, bytes, MADV_NOHUGEPAGE);  // one touched page per slot must not become 2 MiB
    return;
  }
  fatal("goro: cannot reserve the stack arena (mmap of 1 GiB PROT_NONE failed)");
}

// make_rw() makes [arena_lo, end) read-write, growing the frontier in kGrowBytes steps.
static void make_rw(uintptr_t end) {
  if (end <= rw_hi.load(std::memory_order_acquire)) return;  // pairs with the store-release below
  std::lock_guard<std::mutex> l(grow_mu);
  uintptr_t hi = rw_hi.load(std::memory_order_relaxed);
  if (end <= hi) return;
  uintptr_t want = std::min(info.arena_hi, (end - info.arena_lo + kGrowBytes - 1) / kGrowBytes * kGrowBytes + info.arena_lo);
  if (mprotect(reinterpret_cast<void*>(hi), want - hi, PROT_READ | PROT_WRITE) != 0)
    fatal("goro: cannot commit stack arena address space (mprotect)");
  rw_hi.store(want, std::memory_order_release);
}

void stack_init(size_t stack_size) {
  size_t page = size_t(sysconf(_SC_PAGESIZE));
  stack_size = (stack_size + page - 1) / page * page;
  guarded_upto = std::max(guarded_upto, next_slot.load());
  next_slot.store(0);
  if (arena && info.stack_size == stack_size) return;
  if (arena) munmap(arena, info.arena_hi - info.arena_lo);  // another stack size: a fresh arena
  guarded_upto = 0;
  reserve();
  rw_hi.store(info.arena_lo);
  // An odd number of pages between slots: at an even stride every slot's top page (its G, its
  // first frames, its band) lands in the same few cache sets, and a spawn storm misses on each.
  info.guard_size = kGuardBytes + ((stack_size + kGuardBytes) / page % 2 ? 0 : page);
  info.stack_size = stack_size;
  info.slot_size = stack_size + info.guard_size;
  info.keep_size = stack_size > kKeepBytes + page ? kKeepBytes : 0;
  info.nslots = uint32_t(std::min<size_t>((info.arena_hi - info.arena_lo) / info.slot_size, 1u << 22));
  make_rw(info.arena_lo + info.slot_size);
  info.guard_kind = madvise(arena, info.guard_size, MADV_GUARD_INSTALL) == 0 ? 2 : 1;
}

// madvise_slots() applies `advice` to `len` bytes at offset `off` of n consecutive slots from
// base with process_madvise, 64 slots a call (Linux 6.15+ takes PIDFD_SELF for the calling process; with it a
// batch costs 1/64 of a syscall per slot instead of one). Returns false when the kernel refused it.
static bool madvise_slots(char* base, uint32_t n, size_t off, size_t len, int advice) {
  constexpr int kPidfdSelf = -10001;  // PIDFD_SELF_THREAD_GROUP (linux/pidfd.h, 6.15)
  constexpr uint32_t kIov = 64;       // per call; thread_local, not on the G stack
  static thread_local iovec iov[kIov];
  for (uint32_t done = 0; done < n;) {
    uint32_t k = std::min(kIov, n - done);
    for (uint32_t i = 0; i < k; i++) iov[i] = {base + size_t(done + i) * info.slot_size + off, len};
    if (syscall(SYS_process_madvise, kPidfdSelf, iov, size_t(k), advice, 0u) != ssize_t(k * len)) return false;
    done += k;
  }
  return true;
}

// color() staggers where a slot's G and band sit in their page (16 steps): slots are a page
// multiple apart, so without it every G would sit in the same L1 cache set.
static uint32_t color(uint32_t idx) { return idx % 16; }

// carve_size() is how many slots the next carve takes: as many as were carved so far (so the
// batches double and at most half of what was carved sits unused), 1 to kCarveMax.
static uint32_t carve_size(uint32_t carved) { return std::min<uint32_t>(kCarveMax, std::max<uint32_t>(1, carved)); }

G* stack_carve(uint32_t* count) {
  uint32_t n = carve_size(next_slot.load(std::memory_order_relaxed));
  uint32_t idx = next_slot.fetch_add(n, std::memory_order_relaxed);
  if (idx >= info.nslots) return nullptr;
  n = std::min(n, info.nslots - idx);
  char* base = arena + size_t(idx) * info.slot_size;
  make_rw(uintptr_t(base) + size_t(n) * info.slot_size);
  // Guards: slots below guarded_upto kept theirs from an earlier run(); stack_init guarded slot 0.
  uint32_t g0 = std::max(idx, std::max(guarded_upto, info.guard_kind == 2 ? 1u : 0u));
  if (g0 < idx + n) {
    char* gb = arena + size_t(g0) * info.slot_size;
    uint32_t gn = idx + n - g0;
    if (info.guard_kind != 2 || !madvise_slots(gb, gn, 0, info.guard_size, MADV_GUARD_INSTALL))
      for (uint32_t i = 0; i < gn; i++) {
        char* b = gb + size_t(i) * info.slot_size;
        int rc = info.guard_kind == 2 ? madvise(b, info.guard_size, MADV_GUARD_INSTALL) : mprotect(b, info.guard_size, PROT_NONE);
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
    g->ctx.stack_lo = uintptr_t(b) + info.guard_size;
    g->ctx.stack_hi = uintptr_t(g);
    // The band starts near the bottom of the top page, zero as the kernel gave it (a slot reused
    // from an earlier run() may hold old frames there: its first exit then trims, harmlessly).
    g->band = info.keep_size ? uintptr_t(b) + info.slot_size - page + color(idx + i) * 64 : 0;
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
  return reinterpret_cast<G*>((base + info.slot_size - sizeof(G) - color(idx) * 128) & ~uintptr_t(63));
}

// ---- giving deep pages back ---------------------------------------------------------------------
// band_clean() is whether g's band is still all zeros. The sanitizers are kept out: the band is
// dead stack memory of a G that exited.
__attribute__((no_sanitize("address", "thread"))) static bool band_clean(const G* g) {
  const auto* w = reinterpret_cast<const uint64_t*>(g->band);
  uint64_t any = 0;
  for (size_t i = 0; i < kBandBytes / 8; i++) any |= w[i];
  return any == 0;
}

__attribute__((no_sanitize("address", "thread"))) static void band_zero(uintptr_t band) {
  auto* w = reinterpret_cast<volatile uint64_t*>(band);
  for (size_t i = 0; i < kBandBytes / 8; i++) w[i] = 0;
}

void stack_release(G* g) {
  if (!g->band || band_clean(g)) return;
  const uintptr_t keep_lo = g->ctx.stack_lo + info.stack_size - info.keep_size;
  madvise(reinterpret_cast<void*>(g->ctx.stack_lo), keep_lo - g->ctx.stack_lo, MADV_DONTNEED);
  g->band = keep_lo + color(g->slot) * 64;
  band_zero(g->band);
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

// guard_owner() is the G whose guard holds address a, or nullptr when a is in no guard.
static const G* guard_owner(uintptr_t a) {
  if (!arena || a < info.arena_lo || a >= info.arena_lo + size_t(info.nslots) * info.slot_size) return nullptr;
  if ((a - info.arena_lo) % info.slot_size >= info.guard_size) return nullptr;
  return slot_g(uint32_t((a - info.arena_lo) / info.slot_size));
}

// overflow_message() writes the one-line report for a fault at a in owner's guard. The culprit is
// the G this thread runs when its stack pointer has left its stack downwards (a frame larger than
// the room left, whichever guard it reached) or the fault is in its own guard; else (a stray write
// into another G's guard) both are named.
static void overflow_message(uintptr_t a, uintptr_t sp, const G* owner) {
  M* m = getm();
  const G* cur = m ? m->curg.load(std::memory_order_relaxed) : nullptr;
  char buf[256], *p = buf;
  if (cur && (cur == owner || sp < cur->ctx.stack_lo)) {
    p = stpcpy(p, "goro: stack overflow in goroutine ");
    p = fmt_u(p, cur->goid.load(std::memory_order_relaxed), 10);
    p = stpcpy(p, " (stack [");
    p = fmt_u(p, cur->ctx.stack_lo, 16);
    *p++ = ',';
    p = fmt_u(p, cur->ctx.stack_hi, 16);
    p = stpcpy(p, "))\n");
  } else {
    p = stpcpy(p, "goro: write to ");
    p = fmt_u(p, a, 16);
    p = stpcpy(p, " in the stack guard of goroutine ");
    p = fmt_u(p, owner->goid.load(std::memory_order_relaxed), 10);
    if (cur) {
      p = stpcpy(p, " by goroutine ");
      p = fmt_u(p, cur->goid.load(std::memory_order_relaxed), 10);
    }
    p = stpcpy(p, "\n");
  }
  ssize_t ignored = write(2, buf, size_t(p - buf));
  (void)ignored;
}

static void on_segv(int sig, siginfo_t* si, void* uc) {
  const uintptr_t a = uintptr_t(si->si_addr);
  if (const G* owner = guard_owner(a)) {
    uintptr_t sp = 0;
#if defined(__x86_64__)
    sp = uintptr_t(static_cast<ucontext_t*>(uc)->uc_mcontext.gregs[REG_RSP]);
#endif
    overflow_message(a, sp, owner);
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
