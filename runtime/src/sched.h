// sched.h: the scheduler's private structures (G, M, P, the global sched) and its inner functions.
// Internal to runtime/src; the design is described at the top of sched.cpp and in HACKING.md.
#pragma once
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <atomic>
#include <mutex>

#include "goro/detail/park.h"
#include "goro/introspect_abi.h"

namespace goro::detail {

struct M;
struct P;

// Ctx is a saved execution context: a G's or an M's scheduler stack (g0). The switch assembly
// (switch_amd64.S) relies on sp being at offset 0.
struct Ctx {
  void* sp = nullptr;          // saved rsp while not running; the callee-saved registers sit above it
  void* tsan_fiber = nullptr;  // TSan's fiber for this context (sanitizer builds only)
  uintptr_t stack_lo = 0;      // usable stack [stack_lo, stack_hi)
  uintptr_t stack_hi = 0;
};
static_assert(offsetof(Ctx, sp) == 0, "switch_amd64.S loads and stores Ctx::sp at offset 0");

// Saved frame layout pushed by goro_switch, from the saved sp upwards (switch_amd64.S).
constexpr int kFrameR15 = 0, kFrameRbx = 4, kFrameRbp = 5, kFrameRet = 6, kFrameWords = 7;

// G is a goroutine. It lives at the top of its own stack slot (stack.cpp), so a G and its stack are
// allocated, pooled and reused together and the G table index is the stack slot index.
// Status meanings (as Go's): RUNNABLE: on a run queue, not executing, stack not owned by anyone.
// RUNNING: executing on m, which owns a P. SYSCALL: executing on m without a P. WAITING: parked,
// on no run queue; whoever holds its wait-queue lock may ready it. DEAD: in a pool.
struct G {
  Ctx ctx;                          // must stay first (switch asm reaches sp through a G*)
  std::atomic<uint64_t> goid{0};   // relaxed: read racily by schedtrace/sysmon
  std::atomic<uint32_t> status{GORO_G_IDLE};
  uint32_t wait_reason = 0;
  M* m = nullptr;                   // M running it (RUNNING, SYSCALL)
  G* link = nullptr;                // a freshly carved batch (stack_carve)
  void* wait_slot = nullptr;        // CHAN's, see park.h
  void (*entry)(void*) = nullptr;
  void* arg = nullptr;
  uint64_t parent = 0;
  uintptr_t create_pc = 0, start_pc = 0;
  std::atomic<uint32_t> flags{0};   // GORO_GF_*; sysmon ORs LONG_RUNNING in, the G clears it when it stops
  uint32_t slot = 0;                // stack slot and G table index
  uintptr_t band = 0;               // the zero band below which this stack is untouched (stack.cpp); 0: none
  goro_g_rec* rec = nullptr;        // published record (introspect.cpp)
};
static_assert(offsetof(G, ctx) == 0, "a G* is its Ctx* for the switch");

// long_running_end() clears sysmon's long-running flag from a G that stops holding its P; returns
// the flags to publish. One relaxed load when the flag is not set (always, but for hogs).
inline uint32_t long_running_end(G* g) {
  uint32_t f = g->flags.load(std::memory_order_relaxed);
  if (__builtin_expect(f & GORO_GF_LONG_RUNNING, 0)) {
    f = g->flags.fetch_and(~GORO_GF_LONG_RUNNING, std::memory_order_relaxed) & ~GORO_GF_LONG_RUNNING;
  }
  return f;
}

// After is what the context we switch to does with the G we switched away from, once that G's
// registers are saved (we are then no longer on its stack): Go's mcall(park_m) without the mcall.
enum class After : uint8_t { None, Park, Yield, YieldGlobal, Dead, SyscallBlocked };

// M is an OS thread. Its g0 is the thread's own stack, where the full scheduler loop runs.
struct M {
  Ctx g0;
  uint32_t id = 0;
  pid_t tid = 0;
  P* p = nullptr;                   // held P (owned by this M alone)
  P* nextp = nullptr;               // P handed over by startm, taken on wakeup
  P* oldp = nullptr;                // P left in syscall state by entersyscall
  std::atomic<G*> curg{nullptr};    // G running on this M, nullptr on g0 (store-release/load-acquire: sysmon peeks)
  bool spinning = false;            // looking for work (counted in sched.nmspinning)
  bool is_m0 = false;               // the thread that called run()
  bool is_sysmon = false;           // sysmon's thread: an M record and id (as Go's), never runs Gs or holds a P
  std::atomic<uint32_t> wake{0};    // futex word: 1 = notified
  M* link = nullptr;                // idle list
  bool in_midle = false;            // (sched.lock) on the idle list; startm clears it
  // The switch-away bookkeeping, read by after_switch() in the context switched to.
  G* prev = nullptr;
  After after = After::None;
  void (*unlock)(void*) = nullptr;  // set by park(), cleared once called: while set, no timer fires here
  void* unlock_arg = nullptr;
  bool timers_deferred = false;     // due timers seen while unlock was pending: after_switch fires them
  uint64_t rnd = 0;                 // xorshift state for steal order
  std::atomic<uint32_t> in_syscall{0};
  std::atomic<uint32_t> exited{0};  // its thread left mstart (store-release, run() joins it)
  pthread_t thread{};
  void* altstack = nullptr;
  goro_m_rec* rec = nullptr;
};

constexpr uint32_t kRunqSize = 256;
constexpr uint32_t kGfreeMax = 64;  // dead Gs a P keeps before it moves half to the global pool

// GRing is a growable FIFO of G pointers (the global run queue), also used as a LIFO (the
// global G pool). Arrays, not lists threaded through G::link: each G sits on its own stack page,
// so walking a list costs a TLB and a cache miss per G (perf record: ~30% of spawn+run+exit).
// Not synchronised: the global ones are guarded by sched.lock.
struct GRing {
  G** buf = nullptr;
  uint32_t cap = 0, head = 0, len = 0;
  void push_back(G* g);  // grows the array (x2) when full
  G* pop_front() { G* g = buf[head]; head = (head + 1) & (cap - 1), len--; return g; }
  G* pop_back() { len--; return buf[(head + len) & (cap - 1)]; }
  void clear() { head = len = 0; }
};

// P is a logical processor: the right to run Gs, with a local run queue and pools.
struct P {
  uint32_t id = 0;
  std::atomic<uint32_t> status{GORO_P_IDLE};
  std::atomic<M*> m{nullptr};           // owner (relaxed: sysmon peeks)
  // Local run queue: a single-producer (the owner), multi-consumer ring. head is advanced by CAS
  // (owner and thieves), tail stored by the owner only (store-release publishes the slot).
  std::atomic<uint32_t> runqhead{0};
  std::atomic<uint32_t> runqtail{0};
  std::atomic<G*> runq[kRunqSize];
  std::atomic<G*> runnext{nullptr};
  std::atomic<uint64_t> schedtick{0};   // owner stores, sysmon loads (relaxed)
  std::atomic<int64_t> ngs_live{0};     // Gs created here minus Gs exited here (owner stores)
  std::atomic<uint64_t> syscalltick{0};
  uint64_t switches = 0, gs_created = 0, steals = 0;
  // Pool of dead Gs with warm stacks: a stack, gfree[ngfree-1] the most recently freed.
  G* gfree[kGfreeMax] = {};
  std::atomic<uint32_t> ngfree{0};      // owner stores, tests and schedtrace load
  uint64_t goid_next = 0, goid_end = 0;  // goid cache (batches of 16 from sched.goidgen)
  P* link = nullptr;                     // idle list
  goro_p_rec* rec = nullptr;
  // sysmon's view (written and read by sysmon only)
  uint64_t sm_syscalltick = 0;
  int64_t sm_when = 0;         // when sysmon first saw the current syscall
  uint64_t sm_runkey = 0;      // schedtick + syscalltick: changes at every scheduling point and syscall
  int64_t sm_run_when = 0;     // when sysmon first saw sm_runkey: the running G has held p since
  G* sm_hog = nullptr;         // the G flagged long-running on p, until sm_runkey changes
};

// Sched is the global scheduler state; `lock` guards the fields marked (L).
struct Sched {
  std::mutex lock;
  GRing runq;              // (L) global run queue
  std::atomic<uint32_t> runqsize{0};  // runq.len: written under L, read racily as a hint
  P* pidle = nullptr;      // (L) idle Ps
  std::atomic<uint32_t> npidle{0};
  M* midle = nullptr;      // (L) idle Ms
  uint32_t nmidle = 0;     // (L)
  std::atomic<uint32_t> nmspinning{0};
  std::atomic<uint32_t> mcount{0};     // Ms ever made this run, sysmon's included (Go's mcount)
  uint32_t nmsys = 0;                  // (L) of them system Ms that never idle (sysmon): Go's nmsys
  std::atomic<M*> poller{nullptr};      // the M blocked in netpoll/timer wait, if any
  std::atomic<int64_t> poll_until{0};   // its deadline (0: none, blocked indefinitely)
  GRing gfree;             // (L) global pool of dead Gs (used as a LIFO)
  std::atomic<uint32_t> ngfree{0};  // gfree.len: written under L, read racily as a hint
  std::atomic<uint64_t> goidgen{0};
  std::atomic<uint32_t> shutdown{0};    // main G returned
  std::atomic<uint32_t> nsyscall{0};    // Gs in goro::syscall
  std::atomic<uint32_t> nexternal{0};   // non-M runtime threads (sysmon) firing timers right now
  uint32_t gomaxprocs = 0;
  P* allp = nullptr;
  M** allm = nullptr;      // [kMaxM], appended under L
  int64_t start_ns = 0;
};

constexpr uint32_t kMaxM = 1024;
extern Sched sched;
extern std::atomic<int64_t> coarse_now;  // sysmon's clock (CLOCK_MONOTONIC ns, refreshed each tick)

// fatal() prints "fatal error: msg" and exits 2: for impossible states (Go's throw).
[[noreturn]] void fatal(const char* msg);

// getm() is this thread's M; never cached across a switch (a G may resume on another thread).
M* getm();
void setm(M* m);

// Run queues (sched.cpp).
void runqput(P* p, G* g, bool next);
G* runqget(P* p);
bool runqempty(const P* p);
uint32_t runqlen(const P* p);
void globrunqput(G* g);  // takes L
void pub_p(P* p);        // publish p's whole record (its owner only)
void pub_p_as(P* p, uint32_t status);  // the same, with the status it is about to get
// Ms and Ps (proc.cpp).
M* new_m_struct(bool system);  // a new M id, record and allm slot; system: sysmon's (counted in nmsys)
void wakep();
void startm(P* p, bool spinning);
void notewakeup(M* m);
P* pidleget_locked();
void pidleput_locked(P* p);
void handoffp(P* p);
void schedule_loop(M* m);
[[noreturn]] void g_exit_to_scheduler(M* m, G* g);
void after_switch(M* m);
G* g_create_main(P* p, void (*entry)(void*), void* arg);
void acquirep(M* m, P* p);
void releasep(M* m);
void block_idle(M* m);
void shutdown_begin();
void switch_to_g0(M* m, G* g);
uint32_t live_threads();
// Timers (timer.cpp).
void timer_thread_slot(uint32_t slot);  // this thread's fire slot: M id, or kMaxM for sysmon
int64_t timer_next();              // earliest deadline, 0 when no timer is armed
int64_t timer_next_sc();           // the same, seq_cst: for a poller that just published itself
void run_timers(int64_t now);       // fire every timer due at `now`
bool timers_pending();
// Stacks (stack.cpp).
struct StackInfo {
  uintptr_t arena_lo, arena_hi;      // the reservation (read-write only as far as slots were carved)
  size_t slot_size, guard_size, stack_size;
  size_t keep_size;                  // top of a stack a finished G keeps; 0: stacks too small to trim
  uint32_t nslots, guard_kind;
};
const StackInfo& stack_info();
void stack_init(size_t stack_size);
// stack_carve() takes a batch of fresh slots from the arena (guards installed, top pages faulted
// in), each with a dead G at its top, linked through G::link; *count of them. nullptr when full.
G* stack_carve(uint32_t* count);
G* slot_g(uint32_t idx);            // the G at the top of stack slot idx
// stack_release() gives back the pages below the top keep_size of a dead G's stack when the G went
// that deep (its band is no longer zero). Call it off that stack, before the G is reused.
void stack_release(G* g);
uint32_t stack_slots_used();
void sigaltstack_setup(M* m);
void sigaltstack_teardown(M* m);
void overflow_handler_install();
void overflow_handler_remove();
// Debug (debug.cpp).
void dump_goroutines(int fd);
void schedtrace(bool detail);  // on sysmon only: it also prints sysmon's long-running Gs
void checkdead_locked();
// Sysmon (sysmon.cpp).
void sysmon_start();
void sysmon_stop();
void sysmon_kick();  // wake a sysmon sleeping long (a syscall began)
void sysmon_wake_locked();  // (L) a P leaves the idle list: wake a sysmon in sysmonwait
struct DebugOpts { int64_t schedtrace_ms = 0; bool scheddetail = false; };
DebugOpts debug_opts();
// Futexes.
void futex_wait(std::atomic<uint32_t>* addr, uint32_t val, int64_t timeout_ns);
void futex_wake(std::atomic<uint32_t>* addr, int n);

}  // namespace goro::detail
