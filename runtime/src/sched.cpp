// sched.cpp: the goro scheduler: run queues, switching, park/ready, spawn, yield, findrunnable.
//
// Design (also in runtime/HACKING.md)
// ===================================
// G, M, P are Go's. A G is a goroutine: a stackful coroutine with its own fixed stack (128 KiB of
// address space by default, of which it pays only the pages it touches), a state ("runnable",
// "running", "waiting", ...) and, while parked, its saved registers on its own stack. An M is an
// OS thread; it runs Gs, or, on its own thread stack ("g0"), the scheduler loop. A P is the right
// to run Gs: GORO_MAXPROCS of them, each with a local run queue (a 256-slot ring plus `runnext`), a
// pool of dead Gs with warm stacks, and a goid cache. An M must hold a P to run Gs; an M in a
// blocking syscall gives its P up (or sysmon takes it) so that at most GORO_MAXPROCS Ms run Gs
// while any number may sit in syscalls.
//
// Go's algorithm, kept:
// - runqput: a readied or new G goes to runnext (it inherits the time slice; the previous runnext
//   is kicked to the tail); a full ring moves half of itself plus the G to the global queue.
// - Fairness: every 61 schedticks the global queue is checked first; refills from it take
//   len/gomaxprocs+1 Gs at a time (at most half a ring).
// - Work stealing: an M with nothing to do becomes "spinning" (only while 2*spinning < busy Ps)
//   and tries 4 rounds over the Ps in a random order, stealing half of a victim's ring (runnext
//   too, in the last round). When it finds nothing it gives its P back, stops spinning, and then
//   re-checks every ring once (the decrement of nmspinning and the re-check pair with wakep's
//   check of nmspinning after a runqput: either the spinner sees the new G or the readier sees
//   nmspinning == 0 and wakes someone). wakep starts exactly one spinning M, and only when there
//   is an idle P and no spinner: one wakeup per burst of work. Idle Ms sleep on a futex.
// - One M at a time blocks in netpoll (or, with no fd registered, a futex) until the next timer.
// - Syscalls: entersyscall leaves the P in "syscall"; sysmon hands it to another M when the call
//   has lasted > 20 us and there is work; exitsyscall takes it back with a CAS if still there.
// - Cooperative: no preemption; sysmon only flags a G running > 10 ms (GORO_GF_LONG_RUNNING).
//
// Where goro departs, and why:
// - Direct G-to-G switches. Go switches to g0 (mcall) on every park/yield and picks the next G
//   there. goro picks the next G on the parking G's stack when it is at hand (runnext, the local
//   ring, the global queue) and switches straight to it: one switch instead of two. The new
//   context then finishes the old G (publishes its parked record, marks it waiting, calls the
//   park's unlock function, puts a yielder on the queue, pools a dead G): after_switch(). Only
//   when nothing is at hand does the G switch to g0 to steal, poll or sleep, never blocking on a
//   G's stack.
// - Stacks do not grow (C++ frames cannot be moved), so each G gets a fixed stack from a reserved
//   arena, with a 64 KiB guard gap below it and a SIGSEGV handler that names the overflowing G.
//   The G struct lives at the top of its stack: one allocation per G, pooled per P with a warm
//   stack; a G that went deep gives its deep pages back when it exits (stack.cpp).
// - Timers live in one global heap under a mutex (timer.cpp), not per P: timers are rare next to
//   switches here, and one heap makes timer_del from any thread simple. The cost is one lock per
//   timer operation.
// - yield() puts the G on its own P's ring tail rather than on the global queue (Go's Gosched):
//   it stays cache-warm and avoids the global lock; the 61-tick global check keeps fairness.
// - sysmon's clock is coarse (refreshed at each sysmon tick, at most 1 ms apart while a P runs,
//   and by whoever takes a P while sysmon sleeps); the published run/wait timestamps use it so
//   that a switch never reads the clock.
//
// Memory ordering: each atomic names its pair in a comment. Gs pass between Ms only through the
// run queues (store-release of runqtail / the global queue's lock) and park/ready (status
// store-release in after_switch, CAS acquire in ready), so a G's fields and stack are always
// published to the M that runs it next.
#include "sched.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "goro/runtime.h"
#include "introspect.h"
#include "usdt.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define GORO_TSAN 1
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define GORO_ASAN 1
#endif

extern "C" void goro_switch(goro::detail::Ctx* from, goro::detail::Ctx* to);
extern "C" void goro_gstart();
extern "C" [[noreturn]] void goro_g_main();

namespace goro::detail {

Sched sched;
std::atomic<int64_t> coarse_now{0};
static thread_local M* tls_m;

// getm() is noinline with an empty asm so the compiler never caches the TLS slot's address (or
// value) across a switch: after a park the G may run on another thread.
__attribute__((noinline)) M* getm() {
  asm volatile("" ::: "memory");
  return tls_m;
}
void setm(M* m) { tls_m = m; }

void futex_wait(std::atomic<uint32_t>* addr, uint32_t val, int64_t timeout_ns) {
  timespec ts, *tp = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = timeout_ns / 1000000000;
    ts.tv_nsec = timeout_ns % 1000000000;
    tp = &ts;
  }
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(addr), FUTEX_WAIT_PRIVATE, val, tp, nullptr, 0);
}
void futex_wake(std::atomic<uint32_t>* addr, int n) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(addr), FUTEX_WAKE_PRIVATE, n, nullptr, nullptr, 0);
}

int64_t nanotime() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// ---- switching -----------------------------------------------------------------------------------
// switch_ctx() saves the running context into `from` and resumes `to`, telling the sanitizers.
static inline void switch_ctx(Ctx* from, Ctx* to, bool from_dies = false) {
#if GORO_TSAN
  __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
#if GORO_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(from_dies ? nullptr : &fake, reinterpret_cast<void*>(to->stack_lo),
                                 to->stack_hi - to->stack_lo);
#endif
  (void)from_dies;
  goro_switch(from, to);
#if GORO_ASAN
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
}

// ---- publishing ------------------------------------------------------------------------------------
// pub_g_running() publishes g as running on m. wait_reason and wait_since_ns are already 0: a G
// only runs after g_create, a yield's pub_g_stopped or ready(), which all clear them.
static inline void pub_g_running(G* g, M* m) {
  goro_g_rec& r = *g->rec;
  uint32_t s = rec_open(r.seq);
  st(r.state, uint32_t(GORO_G_RUNNING));
  st(r.m_id, int32_t(m->id));
  st(r.sp, uint64_t(0)), st(r.pc, uint64_t(0)), st(r.fp, uint64_t(0));
  st(r.run_since_ns, uint64_t(coarse_now.load(std::memory_order_relaxed)));
  rec_close(r.seq, s);
}

// pub_g_stopped() publishes g as not running; its saved frame (switch_amd64.S) gives sp/pc/fp.
static inline void pub_g_stopped(G* g, uint32_t state, uint32_t reason) {
  goro_g_rec& r = *g->rec;
  const uint64_t* fr = static_cast<const uint64_t*>(g->ctx.sp);
  const uint32_t flags = long_running_end(g);
  uint32_t s = rec_open(r.seq);
  st(r.state, state);
  st(r.m_id, int32_t(-1));
  st(r.wait_reason, reason);
  st(r.wait_since_ns, state == GORO_G_WAITING ? uint64_t(coarse_now.load(std::memory_order_relaxed)) : uint64_t(0));
  st(r.sp, uint64_t(uintptr_t(fr))), st(r.pc, fr[kFrameRet]), st(r.fp, fr[kFrameRbp]);
  st(r.flags, flags);
  rec_close(r.seq, s);
}

// pub_p() publishes all of p's record. A switch does not call it: the counters and run-queue
// length are refreshed every 61 schedticks (next_fast) and whenever the P changes hands
// (proc.cpp), so an outside reader's view of them lags by at most 60 switches (a P record was a
// third of a yield's publishing cost).
void pub_p(P* p) { pub_p_as(p, p->status.load(std::memory_order_relaxed)); }

void pub_p_as(P* p, uint32_t status) {
  goro_p_rec& r = *p->rec;
  M* m = p->m.load(std::memory_order_relaxed);
  G* next = p->runnext.load(std::memory_order_relaxed);
  rec_begin(r.seq);
  st(r.status, status);
  st(r.m_id, m ? int32_t(m->id) : -1);
  st(r.runq_len, runqlen(p));
  st(r.runnext_goid, next ? next->goid.load(std::memory_order_relaxed) : uint64_t(0));
  st(r.schedtick, p->schedtick.load(std::memory_order_relaxed));
  st(r.syscalltick, p->syscalltick.load(std::memory_order_relaxed));
  st(r.switches, p->switches);
  st(r.gs_created, p->gs_created);
  st(r.steals, p->steals);
  rec_end(r.seq);
}

// pub_m_curg() publishes the G m runs; its p_id was published when m acquired its P (acquirep).
static inline void pub_m_curg(M* m, G* g) {
  goro_m_rec& r = *m->rec;
  uint32_t s = rec_open(r.seq);
  st(r.cur_goid, g ? g->goid.load(std::memory_order_relaxed) : uint64_t(0));
  rec_close(r.seq, s);
}

// ---- local run queue ---------------------------------------------------------------------------------
bool runqempty(const P* p) {
  return p->runqhead.load(std::memory_order_acquire) == p->runqtail.load(std::memory_order_acquire) &&
         p->runnext.load(std::memory_order_acquire) == nullptr;
}

uint32_t runqlen(const P* p) {
  uint32_t n = p->runqtail.load(std::memory_order_relaxed) - p->runqhead.load(std::memory_order_relaxed);
  if (n > kRunqSize) n = 0;  // racy read by a non-owner
  return n + (p->runnext.load(std::memory_order_relaxed) ? 1 : 0);
}

// runqputslow() moves half of p's full ring plus g to the global queue; false if a thief won the race.
static bool runqputslow(P* p, G* g, uint32_t h, uint32_t t) {
  constexpr uint32_t n = kRunqSize / 2;
  if (t - h != kRunqSize) fatal("runqputslow: queue is not full");
  G* batch[n + 1];
  for (uint32_t i = 0; i < n; i++) batch[i] = p->runq[(h + i) % kRunqSize].load(std::memory_order_relaxed);
  // CAS-release: commits the consume; pairs with the thieves' acquire loads of runqhead.
  if (!p->runqhead.compare_exchange_strong(h, h + n, std::memory_order_release, std::memory_order_relaxed)) return false;
  batch[n] = g;
  std::lock_guard<std::mutex> l(sched.lock);
  for (uint32_t i = 0; i <= n; i++) sched.runq.push_back(batch[i]);
  sched.runqsize.store(sched.runq.len, std::memory_order_relaxed);
  return true;
}

// ring_shared() says whether thieves may touch a P's ring: only Ms holding another P steal
// (stealwork), so with one P the owner alone reads and writes it and needs no atomic RMW (a CAS
// is about a third of a yield). gomaxprocs is fixed for a run().
static inline bool ring_shared() { return sched.gomaxprocs > 1; }

void runqput(P* p, G* g, bool next) {
  if (next) {
    G* old;
    if (ring_shared()) {
      old = p->runnext.exchange(g, std::memory_order_acq_rel);  // pairs with runqget/runqgrab's CAS
    } else {
      old = p->runnext.load(std::memory_order_relaxed);
      p->runnext.store(g, std::memory_order_release);  // racy readers (runqempty, pub_p) only
    }
    if (!old) return;
    g = old;  // kick the old runnext to the tail
  }
  for (;;) {
    uint32_t h = p->runqhead.load(std::memory_order_acquire);  // pairs with consumers' CAS-release
    uint32_t t = p->runqtail.load(std::memory_order_relaxed);  // only the owner stores it
    if (t - h < kRunqSize) {
      p->runq[t % kRunqSize].store(g, std::memory_order_relaxed);
      p->runqtail.store(t + 1, std::memory_order_release);  // store-release: makes the slot available
      return;
    }
    if (runqputslow(p, g, h, t)) return;
  }
}

G* runqget(P* p) {
  G* next = p->runnext.load(std::memory_order_relaxed);
  if (!ring_shared()) {  // the owner alone: plain loads and stores
    if (next) {
      p->runnext.store(nullptr, std::memory_order_relaxed);
      return next;
    }
    uint32_t h = p->runqhead.load(std::memory_order_relaxed);
    if (h == p->runqtail.load(std::memory_order_relaxed)) return nullptr;
    G* g = p->runq[h % kRunqSize].load(std::memory_order_relaxed);
    p->runqhead.store(h + 1, std::memory_order_release);
    return g;
  }
  if (next && p->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acquire)) return next;
  for (;;) {
    uint32_t h = p->runqhead.load(std::memory_order_acquire);
    uint32_t t = p->runqtail.load(std::memory_order_relaxed);
    if (t == h) return nullptr;
    G* g = p->runq[h % kRunqSize].load(std::memory_order_relaxed);
    if (p->runqhead.compare_exchange_weak(h, h + 1, std::memory_order_release, std::memory_order_relaxed)) return g;
  }
}

// runqgrab() takes half of victim's ring into batch (runnext too when steal_next and the ring is
// empty); returns how many.
static uint32_t runqgrab(P* victim, G** batch, bool steal_next) {
  for (;;) {
    uint32_t h = victim->runqhead.load(std::memory_order_acquire);
    uint32_t t = victim->runqtail.load(std::memory_order_acquire);  // pairs with the owner's store-release
    uint32_t n = t - h;
    n = n - n / 2;
    if (n == 0) {
      if (!steal_next) return 0;
      G* next = victim->runnext.load(std::memory_order_acquire);
      if (next && victim->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel)) {
        batch[0] = next;
        return 1;
      }
      return 0;
    }
    if (n > kRunqSize / 2) continue;  // read h and t inconsistently: retry
    for (uint32_t i = 0; i < n; i++) batch[i] = victim->runq[(h + i) % kRunqSize].load(std::memory_order_relaxed);
    if (victim->runqhead.compare_exchange_strong(h, h + n, std::memory_order_acq_rel)) return n;
  }
}

static G* runqsteal(P* p, P* victim, bool steal_next) {
  G* batch[kRunqSize / 2];
  uint32_t n = runqgrab(victim, batch, steal_next);
  if (n == 0) return nullptr;
  for (uint32_t i = 1; i < n; i++) runqput(p, batch[i], false);
  p->steals++;
  GORO_PROBE3(p__steal, p->id, victim->id, n);
  return batch[0];
}

// ---- global run queue ----------------------------------------------------------------------------------
void GRing::push_back(G* g) {
  if (len == cap) {
    uint32_t ncap = cap ? cap * 2 : 1024;
    G** nbuf = new G*[ncap];
    for (uint32_t i = 0; i < len; i++) nbuf[i] = buf[(head + i) & (cap - 1)];
    delete[] buf;
    buf = nbuf, cap = ncap, head = 0;
  }
  buf[(head + len) & (cap - 1)] = g;
  len++;
}

void globrunqput(G* g) {
  std::lock_guard<std::mutex> l(sched.lock);
  sched.runq.push_back(g);
  sched.runqsize.store(sched.runq.len, std::memory_order_relaxed);
}

// globrunqget_locked() takes a fair share of the global queue: returns one G, the rest go to p's ring.
static G* globrunqget_locked(P* p, uint32_t max) {
  uint32_t size = sched.runqsize.load(std::memory_order_relaxed);
  if (size == 0) return nullptr;
  uint32_t n = size / sched.gomaxprocs + 1;
  if (n > size) n = size;
  if (max > 0 && n > max) n = max;
  if (n > kRunqSize / 2) n = kRunqSize / 2;
  sched.runqsize.store(size - n, std::memory_order_relaxed);
  G* g = sched.runq.pop_front();
  for (uint32_t i = 1; i < n; i++) runqput(p, sched.runq.pop_front(), false);
  return g;
}

static G* globrunqget(P* p, uint32_t max) {
  if (sched.runqsize.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard<std::mutex> l(sched.lock);
  return globrunqget_locked(p, max);
}

// ---- G pools ---------------------------------------------------------------------------------------------
// gfput() pools the dead g on p; a full pool moves its older half to the global pool.
static void gfput(P* p, G* g) {
  uint32_t n = p->ngfree.load(std::memory_order_relaxed);
  if (n == kGfreeMax) {
    constexpr uint32_t half = kGfreeMax / 2;
    {
      std::lock_guard<std::mutex> l(sched.lock);
      for (uint32_t i = 0; i < half; i++) sched.gfree.push_back(p->gfree[i]);
      sched.ngfree.store(sched.gfree.len, std::memory_order_relaxed);
    }
    for (uint32_t i = half; i < n; i++) p->gfree[i - half] = p->gfree[i];
    n -= half;
  }
  p->gfree[n] = g;
  p->ngfree.store(n + 1, std::memory_order_relaxed);
}

// gfget() is a dead G from p's pool (refilled with up to half a pool from the global one), or nullptr.
static G* gfget(P* p) {
  uint32_t n = p->ngfree.load(std::memory_order_relaxed);
  if (n == 0 && sched.ngfree.load(std::memory_order_relaxed)) {
    std::lock_guard<std::mutex> l(sched.lock);
    while (sched.gfree.len && n < kGfreeMax / 2) p->gfree[n++] = sched.gfree.pop_back();
    sched.ngfree.store(sched.gfree.len, std::memory_order_relaxed);
  }
  if (n == 0) return nullptr;
  p->ngfree.store(n - 1, std::memory_order_relaxed);
  return p->gfree[n - 1];
}

static uint64_t new_goid(P* p) {
  if (p->goid_next == p->goid_end) {
    p->goid_next = sched.goidgen.fetch_add(16, std::memory_order_relaxed) + 1;
    p->goid_end = p->goid_next + 16;
  }
  return p->goid_next++;
}

// g_create() prepares g (from g_alloc) to run entry(arg) and counts it on p; does not queue it.
// The first frame goes just below frame_top (the closure, or the stack top for the main G).
static void g_create(P* p, G* g, void (*entry)(void*), void* arg, uintptr_t frame_top, uint64_t parent,
                     uintptr_t create_pc, uintptr_t start_pc, uint32_t flags) {
  uint64_t id = new_goid(p);
  g->goid.store(id, std::memory_order_relaxed);
  g->parent = parent;
  g->entry = entry;
  g->arg = arg;
  g->create_pc = create_pc;
  g->start_pc = start_pc;
  g->flags.store(flags, std::memory_order_relaxed);
  g->wait_reason = 0;
  // The first switch to g pops this frame and returns into goro_gstart with rsp 16-aligned (its
  // call then enters goro_g_main as any call would); the frame has an odd number of words.
  static_assert(kFrameWords % 2 == 1, "goro_gstart needs sp + kFrameWords*8 16-aligned");
  uintptr_t sp = ((frame_top - (kFrameWords + 1) * 8) & ~uintptr_t(15)) + 8;
  auto* fr = reinterpret_cast<uint64_t*>(sp);
  for (int i = 0; i < kFrameWords; i++) fr[i] = 0;
  fr[kFrameRet] = uint64_t(uintptr_t(&goro_gstart));
  g->ctx.sp = reinterpret_cast<void*>(sp);
#if GORO_TSAN
  g->ctx.tsan_fiber = __tsan_create_fiber(0);  // TSan counts fibers as threads (8128 max): one per live G
#endif
  p->gs_created++;
  p->ngs_live.store(p->ngs_live.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  goro_g_rec& r = *g->rec;
  rec_begin(r.seq);
  st(r.state, uint32_t(GORO_G_RUNNABLE));
  st(r.goid, id);
  st(r.parent_goid, parent);
  st(r.wait_reason, 0u);
  st(r.m_id, int32_t(-1));
  st(r.wait_since_ns, uint64_t(0));
  st(r.create_pc, uint64_t(create_pc));
  st(r.start_pc, uint64_t(start_pc));
  st(r.stack_lo, uint64_t(g->ctx.stack_lo));
  st(r.stack_hi, uint64_t(g->ctx.stack_hi));
  st(r.sp, uint64_t(sp)), st(r.pc, fr[kFrameRet]), st(r.fp, uint64_t(0));
  st(r.run_since_ns, uint64_t(0));
  st(r.flags, flags);
  rec_end(r.seq);
  g->status.store(GORO_G_RUNNABLE, std::memory_order_relaxed);  // published by runqput's release
  GORO_PROBE3(g__create, id, parent, start_pc);
}

// g_take() is a dead G for p to start: from the pools, else from a fresh batch of slots (the
// rest of the batch goes to the global pool).
static G* g_take(P* p) {
  if (G* g = gfget(p)) return g;
  uint32_t n = 0;
  G* g = stack_carve(&n);
  if (!g) fatal("goro: out of goroutine stack slots (the 64 GiB stack arena is full)");
  if (n > 1) {
    std::lock_guard<std::mutex> l(sched.lock);
    for (G* x = g->link; x; x = x->link) sched.gfree.push_back(x);
    sched.ngfree.store(sched.gfree.len, std::memory_order_relaxed);
  }
  return g;
}

G* g_alloc(size_t size, size_t align, void** closure) {
  M* m = getm();
  if (!m || !m->p || !m->curg.load(std::memory_order_relaxed)) fatal("goro::go called outside goro::run");
  G* g = g_take(m->p);
  if (size > stack_info().stack_size / 4) fatal("goro::go: the closure is larger than a quarter of the stack");
  *closure = reinterpret_cast<void*>((g->ctx.stack_hi - size) & ~(uintptr_t(align) - 1));
  return g;
}

__attribute__((noinline)) void g_start(G* g, void (*entry)(void*), void* closure, const void* start_pc) {
  M* m = getm();
  P* p = m->p;
  G* cur = m->curg.load(std::memory_order_relaxed);
  g_create(p, g, entry, closure, uintptr_t(closure), cur->goid.load(std::memory_order_relaxed),
           uintptr_t(__builtin_extract_return_addr(__builtin_return_address(0))), uintptr_t(start_pc), 0);
  runqput(p, g, true);
  wakep();
}

// g_create_main() makes the main G on p (from run(), not on a G).
G* g_create_main(P* p, void (*entry)(void*), void* arg) {
  G* g = g_take(p);
  g_create(p, g, entry, arg, g->ctx.stack_hi, 0, uintptr_t(__builtin_return_address(0)), uintptr_t(entry), GORO_GF_MAIN);
  return g;
}

// ---- execute / after_switch --------------------------------------------------------------------------------
// execute_prep() makes g the running G of m (holding p), before the switch to it.
static inline void execute_prep(M* m, P* p, G* g) {
  m->curg.store(g, std::memory_order_release);  // pairs with sysmon's acquire peek (g initialised)
  g->m = m;
  g->status.store(GORO_G_RUNNING, std::memory_order_relaxed);
  p->switches++;
  pub_g_running(g, m);
  pub_m_curg(m, g);
  GORO_PROBE2(g__start, g->goid.load(std::memory_order_relaxed), m->id);
}

void after_switch(M* m) {
  G* prev = m->prev;
  if (!prev) return;
  m->prev = nullptr;
  switch (m->after) {
    case After::Park: {
      pub_g_stopped(prev, GORO_G_WAITING, prev->wait_reason);
      // store-release: the context is saved; pairs with ready()'s load-acquire.
      prev->status.store(GORO_G_WAITING, std::memory_order_release);
      if (m->unlock) {
        m->unlock(m->unlock_arg);
        m->unlock = nullptr;  // the parked G's wait lock is released: timers may fire on this M again
        if (m->timers_deferred) {  // next_fast found timers due while the lock was held
          m->timers_deferred = false;
          run_timers(nanotime());
        }
      }
      break;
    }
    case After::Yield:
      pub_g_stopped(prev, GORO_G_RUNNABLE, 0);
      prev->status.store(GORO_G_RUNNABLE, std::memory_order_relaxed);
      runqput(m->p, prev, false);
      break;
    case After::YieldGlobal:
    case After::SyscallBlocked:
      pub_g_stopped(prev, GORO_G_RUNNABLE, 0);
      prev->status.store(GORO_G_RUNNABLE, std::memory_order_relaxed);
      globrunqput(prev);
      wakep();
      break;
    case After::Dead: {
      goro_g_rec& r = *prev->rec;
      rec_begin(r.seq);
      st(r.state, uint32_t(GORO_G_DEAD));
      st(r.goid, uint64_t(0));
      st(r.m_id, int32_t(-1));
      rec_end(r.seq);
      prev->status.store(GORO_G_DEAD, std::memory_order_relaxed);
      prev->goid.store(0, std::memory_order_relaxed);
#if GORO_TSAN
      __tsan_destroy_fiber(prev->ctx.tsan_fiber);
      prev->ctx.tsan_fiber = nullptr;
#endif
#if GORO_ASAN
      // Its frames live at the last switch never returned, so their redzones are still poisoned;
      // the next G on this stack lays its frames out differently.
      __asan_unpoison_memory_region(static_cast<char*>(prev->ctx.sp) - 128,
                                    prev->ctx.stack_hi - (uintptr_t(prev->ctx.sp) - 128));
#endif
      stack_release(prev);  // its deep pages, if it went deep (we are off its stack now)
      gfput(m->p, prev);
      break;
    }
    case After::None:
      break;
  }
}

// next_fast() is the next G for p if one is at hand without stealing or blocking: the global queue
// every 61 ticks (and due timers), runnext, the ring, the global queue.
// Due timers never fire while m->unlock is pending: a G parking in park() still holds the lock of
// its wait queue (a channel's, a select's channels, a mutex's or cond's sema, a poll descriptor)
// until after_switch calls the unlock, and a timer's fire may take that very lock (after() and
// ticker send into a channel): firing here spun forever on our own lock (issue 9). They are left to
// after_switch, which fires them once the lock is released, before anything else runs on this M.
static G* next_fast(M* m, P* p) {
  uint64_t tick = p->schedtick.load(std::memory_order_relaxed) + 1;
  p->schedtick.store(tick, std::memory_order_relaxed);
  if (tick % 61 == 0) {
    pub_p(p);
    int64_t tn = timer_next();
    if (tn && tn <= nanotime()) {
      if (m->unlock) m->timers_deferred = true;
      else run_timers(nanotime());
    }
    if (G* g = globrunqget(p, 1)) return g;
  }
  if (G* g = runqget(p)) return g;
  return globrunqget(p, 0);
}

// switch_away() leaves g (on its stack) with `after` done to it by the next context. With
// may_stay (yield), returns at once when nothing else is runnable.
static void switch_away(M* m, G* g, After after, bool may_stay) {
  P* p = m->p;
  G* next = sched.shutdown.load(std::memory_order_relaxed) ? nullptr : next_fast(m, p);
  if (!next && may_stay) return;
  m->prev = g;
  m->after = after;
  if (next) {
    execute_prep(m, p, next);
    switch_ctx(&g->ctx, &next->ctx, after == After::Dead);
  } else {
    m->curg.store(nullptr, std::memory_order_relaxed);
    switch_ctx(&g->ctx, &m->g0, after == After::Dead);
  }
  after_switch(getm());  // we were resumed, perhaps on another M
}

// switch_to_g0() leaves g for m's scheduler loop, which does m->after to it (exitsyscall).
void switch_to_g0(M* m, G* g) {
  switch_ctx(&g->ctx, &m->g0);
  after_switch(getm());
}

// ---- the G side ------------------------------------------------------------------------------------------------
G* current_g() {
  M* m = getm();
  return m ? m->curg.load(std::memory_order_relaxed) : nullptr;
}
bool sync_can_spin(int iter) {
  static const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (iter >= 4 || ncpu <= 1) return false;
  // Relaxed loads: a hint, as Go's (another P runs Gs: not every P is idle or spinning but ours).
  if (sched.gomaxprocs <= sched.npidle.load(std::memory_order_relaxed) + sched.nmspinning.load(std::memory_order_relaxed) + 1)
    return false;
  M* m = getm();
  return m && m->p && runqempty(m->p);
}
uint64_t goid(const G* g) { return g->goid.load(std::memory_order_relaxed); }
void* g_wait_slot(G* g) { return &g->wait_slot; }

void park(uint32_t reason, void (*unlock)(void*), void* arg) {
  M* m = getm();
  G* g = m ? m->curg.load(std::memory_order_relaxed) : nullptr;
  if (!g) fatal("park: not called from a goroutine");
  g->wait_reason = reason;
  m->unlock = unlock;
  m->unlock_arg = arg;
  GORO_PROBE2(g__park, g->goid.load(std::memory_order_relaxed), reason);
  switch_away(m, g, After::Park, false);
}

// ready() makes the parked g runnable. Every waker first claims g exclusively (it dequeues g's
// wait record under the wait queue's lock, or wins a select's CAS, or owns the timer), so the
// status needs no CAS: a load-acquire checks and a plain store moves it on. (Go uses a CAS here;
// dropping it saves 2 of the 6 atomic RMWs of a channel round trip.) A second, sequential ready
// still dies below; two wakers racing on one G would be a claim bug in the caller.
void ready(G* g) {
  // load-acquire: pairs with after_switch's store-release, so g's saved context is visible here.
  if (g->status.load(std::memory_order_acquire) != GORO_G_WAITING) fatal("ready: goroutine is not waiting (readied twice?)");
  g->status.store(GORO_G_RUNNABLE, std::memory_order_relaxed);
  goro_g_rec& r = *g->rec;
  rec_begin(r.seq);
  st(r.state, uint32_t(GORO_G_RUNNABLE));
  st(r.wait_reason, 0u);
  st(r.wait_since_ns, uint64_t(0));
  rec_end(r.seq);
  M* m = getm();
  G* cur = m ? m->curg.load(std::memory_order_relaxed) : nullptr;
  GORO_PROBE2(g__ready, g->goid.load(std::memory_order_relaxed), cur ? cur->goid.load(std::memory_order_relaxed) : 0);
  if (m && m->p) runqput(m->p, g, cur != nullptr);
  else globrunqput(g);
  wakep();
}

// goro_g_main() is where every G starts (from goro_gstart) and ends.
extern "C" [[noreturn]] void goro_g_main() {
#if GORO_ASAN
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
  M* m = getm();
  after_switch(m);
  G* g = m->curg.load(std::memory_order_relaxed);
  g->entry(g->arg);
  m = getm();
  g_exit_to_scheduler(m, g);
}

[[noreturn]] void g_exit_to_scheduler(M* m, G* g) {
  GORO_PROBE1(g__exit, g->goid.load(std::memory_order_relaxed));
  P* p = m->p;
  p->ngs_live.store(p->ngs_live.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  if (g->flags.load(std::memory_order_relaxed) & GORO_GF_MAIN) shutdown_begin();
  switch_away(m, g, After::Dead, false);
  fatal("g_exit: a dead goroutine was resumed");
}

// ---- the scheduler loop on g0 -----------------------------------------------------------------------------------
static uint32_t fastrand(M* m) {
  m->rnd ^= m->rnd << 13;
  m->rnd ^= m->rnd >> 7;
  m->rnd ^= m->rnd << 17;
  return uint32_t(m->rnd);
}

// stealwork() makes 4 passes over the Ps in a random order; runnext only in the last one.
static G* stealwork(M* m, P* p) {
  uint32_t n = sched.gomaxprocs;
  for (int round = 0; round < 4; round++) {
    uint32_t start = fastrand(m) % n;
    for (uint32_t i = 0; i < n; i++) {
      P* victim = &sched.allp[(start + i) % n];
      if (victim == p) continue;
      if (G* g = runqsteal(p, victim, round == 3)) return g;
    }
    if (sched.runqsize.load(std::memory_order_relaxed))
      if (G* g = globrunqget(p, 0)) return g;
  }
  return nullptr;
}

static void reset_spinning(M* m) {
  m->spinning = false;
  // seq_cst decrement pairs with wakep's load: the last spinner to find work wakes another.
  if (sched.nmspinning.fetch_sub(1) == 1) wakep();
}

// findrunnable() returns a G to run with m holding a P; nullptr at shutdown.
static G* findrunnable(M* m) {
  for (;;) {
    if (sched.shutdown.load(std::memory_order_acquire)) return nullptr;
    P* p = m->p;
    if (!p) {
      block_idle(m);  // comes back holding a P, or without one after a poll
      continue;
    }
    int64_t tn = timer_next();
    if (tn && tn <= nanotime()) run_timers(nanotime());
    if (G* g = next_fast(m, p)) {
      if (m->spinning) reset_spinning(m);
      return g;
    }
    if (netpoll_has_waiters() && !sched.poller.load(std::memory_order_relaxed) && netpoll(0) > 0) continue;
    uint32_t busy = sched.gomaxprocs - sched.npidle.load();
    if (m->spinning || 2 * sched.nmspinning.load() < busy) {
      if (!m->spinning) {
        m->spinning = true;
        sched.nmspinning.fetch_add(1);
      }
      if (G* g = stealwork(m, p)) {
        reset_spinning(m);
        return g;
      }
    }
    // Nothing: give the P back.
    {
      std::unique_lock<std::mutex> l(sched.lock);
      if (sched.shutdown.load(std::memory_order_relaxed)) return nullptr;
      if (G* g = globrunqget_locked(p, 0)) {
        l.unlock();
        if (m->spinning) reset_spinning(m);
        return g;
      }
      if (!runqempty(p)) continue;  // a timer or netpoll readied something meanwhile
      releasep(m);
      pidleput_locked(p);
    }
    if (m->spinning) {
      m->spinning = false;
      if (sched.nmspinning.fetch_sub(1) == 0) fatal("findrunnable: negative nmspinning");
      // The delicate dance: re-check every ring after dropping spinning (pairs with wakep).
      for (uint32_t i = 0; i < sched.gomaxprocs; i++) {
        if (!runqempty(&sched.allp[i])) {
          std::unique_lock<std::mutex> l(sched.lock);
          P* p2 = pidleget_locked();
          l.unlock();
          if (p2) {
            acquirep(m, p2);
            m->spinning = true;
            sched.nmspinning.fetch_add(1);
          }
          break;
        }
      }
      if (m->p) continue;
    }
    block_idle(m);
  }
}

void schedule_loop(M* m) {
  for (;;) {
    after_switch(m);
    G* g = findrunnable(m);
    if (!g) return;  // shutdown
    execute_prep(m, m->p, g);
    switch_ctx(&m->g0, &g->ctx);
  }
}

}  // namespace goro::detail

namespace goro {

void yield() {
  using namespace detail;
  M* m = getm();
  G* g = m ? m->curg.load(std::memory_order_relaxed) : nullptr;
  if (!g) {
    sched_yield();
    return;
  }
  switch_away(m, g, After::Yield, true);
}

uint64_t self_id() {
  detail::G* g = detail::current_g();
  return g ? detail::goid(g) : 0;
}

int gomaxprocs() { return int(detail::sched.gomaxprocs); }

}  // namespace goro
