// proc.cpp: run(), Ms (threads) and Ps: starting, parking and waking Ms, handing Ps around, syscalls.
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "goro/runtime.h"
#include "goro/syscall.h"
#include "introspect.h"
#include "sched.h"
#include "usdt.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace goro::detail {

// ---- Ps ----------------------------------------------------------------------------------------------

static void pub_m(M* m) {
  goro_m_rec& r = *m->rec;
  G* g = m->curg.load(std::memory_order_relaxed);
  rec_begin(r.seq);
  st(r.id, m->id);
  st(r.tid, int32_t(m->tid));
  st(r.p_id, m->p ? int32_t(m->p->id) : -1);
  st(r.spinning, uint32_t(m->spinning));
  st(r.in_syscall, m->in_syscall.load(std::memory_order_relaxed));
  st(r.cur_goid, g ? g->goid.load(std::memory_order_relaxed) : uint64_t(0));
  rec_end(r.seq);
}

static void pub_m_parked(M* m, uint32_t parked) {
  goro_m_rec& r = *m->rec;
  rec_begin(r.seq);
  st(r.parked, parked);
  st(r.spinning, uint32_t(m->spinning));
  st(r.p_id, m->p ? int32_t(m->p->id) : -1);
  st(r.cur_goid, uint64_t(0));
  rec_end(r.seq);
}

void acquirep(M* m, P* p) {
  m->p = p;
  p->m.store(m, std::memory_order_release);  // pairs with sysmon's acquire peek (m initialised)
  p->status.store(GORO_P_RUNNING, std::memory_order_relaxed);
  pub_p(p);
  pub_m(m);
}

void releasep(M* m) {
  P* p = m->p;
  if (!p) fatal("releasep: m has no p");
  p->m.store(nullptr, std::memory_order_relaxed);
  m->p = nullptr;
  pub_m(m);  // no P, and (on g0) no G: readers must not see the last G as still running here
}

P* pidleget_locked() {
  P* p = sched.pidle;
  if (p) {
    sched.pidle = p->link;
    sched.npidle.fetch_sub(1);  // seq_cst: pairs with wakep's load
    sysmon_wake_locked();
  }
  return p;
}

void pidleput_locked(P* p) {
  if (!runqempty(p)) fatal("pidleput: P has a non-empty run queue");
  p->status.store(GORO_P_IDLE, std::memory_order_relaxed);
  p->m.store(nullptr, std::memory_order_relaxed);
  pub_p(p);
  p->link = sched.pidle;
  sched.pidle = p;
  sched.npidle.fetch_add(1);
}

// ---- Ms ----------------------------------------------------------------------------------------------
void notewakeup(M* m) {
  m->wake.store(1, std::memory_order_release);  // pairs with notesleep's acquire load
  futex_wake(&m->wake, 1);
}

static void notesleep(M* m) {
  while (m->wake.load(std::memory_order_acquire) == 0) futex_wait(&m->wake, 0, -1);
  m->wake.store(0, std::memory_order_relaxed);
}

static void g0_setup(M* m) {
  pthread_attr_t a;
  if (pthread_getattr_np(pthread_self(), &a) == 0) {
    void* addr;
    size_t size;
    pthread_attr_getstack(&a, &addr, &size);
    m->g0.stack_lo = uintptr_t(addr);
    m->g0.stack_hi = uintptr_t(addr) + size;
    pthread_attr_destroy(&a);
  }
#if defined(__SANITIZE_THREAD__)
  m->g0.tsan_fiber = __tsan_get_current_fiber();
#endif
}

M* new_m_struct(bool system) {
  std::lock_guard<std::mutex> l(sched.lock);
  uint32_t id = sched.mcount.load(std::memory_order_relaxed);
  if (id >= kMaxM) fatal("goro: too many threads (1024 Ms): too many goroutines in blocking syscalls");
  M* m = new M();
  m->id = id;
  m->is_sysmon = system;
  sched.nmsys += system;
  m->rnd = 0x9E3779B97F4A7C15ull * (id + 1);
  m->rec = &seg.m[id];
  sched.allm[id] = m;
  sched.mcount.store(id + 1);
  __atomic_store_n(&seg.desc->m_count, id + 1, __ATOMIC_RELEASE);
  return m;
}

static std::atomic<uint32_t> threads_alive{0};

static void* mstart(void* arg) {
  M* m = static_cast<M*>(arg);
  setm(m);
  m->tid = pid_t(::syscall(SYS_gettid));
  timer_thread_slot(m->id);
  sigaltstack_setup(m);
  g0_setup(m);
  P* p = m->nextp;
  m->nextp = nullptr;
  if (p) acquirep(m, p);
  else pub_m(m);
  GORO_PROBE1(m__unpark, m->id);
  schedule_loop(m);
  if (m->p) {
    std::lock_guard<std::mutex> l(sched.lock);
    P* q = m->p;
    releasep(m);
    if (runqempty(q)) pidleput_locked(q);
  }
  sigaltstack_teardown(m);
  goro_m_rec& r = *m->rec;
  rec_begin(r.seq);
  st(r.tid, 0);
  st(r.p_id, -1);
  rec_end(r.seq);
  setm(nullptr);
  threads_alive.fetch_sub(1);
  m->exited.store(1, std::memory_order_release);  // pairs with run()'s acquire load before join
  return nullptr;
}

static void newm(P* p, bool spinning) {
  M* m = new_m_struct(false);
  m->nextp = p;
  m->spinning = spinning;
  threads_alive.fetch_add(1);
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 256 << 10);  // g0 runs only the scheduler, timers and netpoll
  int rc = pthread_create(&m->thread, &a, mstart, m);
  pthread_attr_destroy(&a);
  if (rc != 0) fatal("goro: pthread_create failed");
}

void startm(P* p, bool spinning) {
  std::unique_lock<std::mutex> l(sched.lock);
  if (sched.shutdown.load(std::memory_order_relaxed)) {  // no new Ms while run() tears down
    l.unlock();
    if (spinning) sched.nmspinning.fetch_sub(1);
    return;  // a P handed to us is abandoned with its queue, like the Gs on it
  }
  if (!p) {
    p = pidleget_locked();
    if (!p) {
      l.unlock();
      if (spinning) sched.nmspinning.fetch_sub(1);  // undo wakep's increment
      return;
    }
  }
  M* m = sched.midle;
  if (m) {
    sched.midle = m->link;
    sched.nmidle--;
    m->in_midle = false;
    m->spinning = spinning;  // under the lock: stopm reads them after it sees in_midle cleared
    m->nextp = p;
  }
  l.unlock();
  if (!m) {
    newm(p, spinning);
    return;
  }
  notewakeup(m);
}

void wakep() {
  // seq_cst loads: pair with findrunnable's decrement of nmspinning and re-check of the rings.
  if (sched.npidle.load() == 0) return;
  if (sched.nmspinning.load() != 0) return;
  uint32_t zero = 0;
  if (!sched.nmspinning.compare_exchange_strong(zero, 1)) return;
  startm(nullptr, true);
}

void handoffp(P* p) {
  if (!runqempty(p) || sched.runqsize.load(std::memory_order_relaxed)) return startm(p, false);
  if (sched.nmspinning.load() + sched.npidle.load() == 0) {
    uint32_t zero = 0;
    if (sched.nmspinning.compare_exchange_strong(zero, 1)) return startm(p, true);
  }
  if (timers_pending() && !sched.poller.load()) return startm(p, false);
  std::lock_guard<std::mutex> l(sched.lock);
  pidleput_locked(p);
}

static void stopm(M* m) {
  pub_m_parked(m, 1);
  {
    std::lock_guard<std::mutex> l(sched.lock);
    if (sched.shutdown.load(std::memory_order_relaxed)) return;
    if (sched.runqsize.load(std::memory_order_relaxed)) {
      if (P* p = pidleget_locked()) {  // work arrived while we were giving up
        acquirep(m, p);
        return;
      }
    }
    checkdead_locked();
    m->link = sched.midle;
    sched.midle = m;
    sched.nmidle++;
    m->in_midle = true;
  }
  GORO_PROBE1(m__park, m->id);
  // A late poller wakeup (timer_add saw us as the poller) can leave `wake` set: sleep until
  // startm took us off the idle list, or shutdown.
  P* p;
  for (;;) {
    notesleep(m);
    std::lock_guard<std::mutex> l(sched.lock);
    if (!m->in_midle || sched.shutdown.load(std::memory_order_relaxed)) {
      p = m->nextp;
      m->nextp = nullptr;
      break;
    }
  }
  GORO_PROBE1(m__unpark, m->id);
  pub_m_parked(m, 0);
  if (p) acquirep(m, p);
}

// block_idle() blocks an M that has no P and found nothing: it becomes the poller (netpoll or a
// futex until the next timer) when timers or IO waiters exist and nobody polls, else it stops.
void block_idle(M* m) {
  int64_t tn = timer_next();
  bool io = netpoll_has_waiters();
  M* none = nullptr;
  m->wake.store(0, std::memory_order_relaxed);
  if ((tn || io) && sched.poller.compare_exchange_strong(none, m)) {
    tn = timer_next_sc();  // after publishing ourselves (seq_cst): a new top either shows here or wakes us
    sched.poll_until.store(tn);
    int64_t timeout = tn ? std::max<int64_t>(0, tn - nanotime()) : -1;
    pub_m_parked(m, 1);  // readers see it asleep, and no longer spinning, while it polls
    if (!sched.shutdown.load()) {
      if (io) netpoll(timeout);
      else if (m->wake.load(std::memory_order_acquire) == 0) futex_wait(&m->wake, 0, timeout);
    }
    pub_m_parked(m, 0);
    m->wake.store(0, std::memory_order_relaxed);
    sched.poll_until.store(0);
    sched.poller.store(nullptr);
    if (tn) run_timers(nanotime());
    if (sched.runqsize.load(std::memory_order_relaxed)) {
      std::lock_guard<std::mutex> l(sched.lock);
      if (P* p = pidleget_locked()) acquirep(m, p);
    }
    return;
  }
  stopm(m);
}

void shutdown_begin() {
  sched.shutdown.store(1, std::memory_order_release);  // pairs with findrunnable's acquire load
  std::lock_guard<std::mutex> l(sched.lock);
  for (uint32_t i = 0; i < sched.mcount.load(); i++) notewakeup(sched.allm[i]);
  netpoll_break();
}

// ---- syscalls ----------------------------------------------------------------------------------------------
void entersyscall() {
  M* m = getm();
  G* g = m ? m->curg.load(std::memory_order_relaxed) : nullptr;
  if (!g) return;
  P* p = m->p;
  GORO_PROBE1(syscall__enter, g->goid.load(std::memory_order_relaxed));
  g->status.store(GORO_G_SYSCALL, std::memory_order_relaxed);
  goro_g_rec& r = *g->rec;
  rec_begin(r.seq);
  st(r.state, uint32_t(GORO_G_SYSCALL));
  rec_end(r.seq);
  sched.nsyscall.fetch_add(1, std::memory_order_relaxed);
  m->in_syscall.store(1, std::memory_order_relaxed);
  p->syscalltick.fetch_add(1, std::memory_order_relaxed);
  m->oldp = p;
  m->p = nullptr;
  p->m.store(nullptr, std::memory_order_relaxed);
  pub_m(m);
  // Publish before letting go: after the store-release sysmon may hand p to another M, which
  // then owns p's counters and record.
  pub_p_as(p, GORO_P_SYSCALL);
  // store-release: the P's queue state is ours until here; pairs with sysmon's CAS in retake.
  p->status.store(GORO_P_SYSCALL, std::memory_order_release);
  sysmon_kick();
}

void exitsyscall() {
  M* m = getm();
  G* g = m ? m->curg.load(std::memory_order_relaxed) : nullptr;
  if (!g || g->status.load(std::memory_order_relaxed) != GORO_G_SYSCALL) return;
  P* p = m->oldp;
  m->oldp = nullptr;
  m->in_syscall.store(0, std::memory_order_relaxed);
  sched.nsyscall.fetch_sub(1, std::memory_order_relaxed);
  GORO_PROBE1(syscall__exit, g->goid.load(std::memory_order_relaxed));
  bool got = false;
  if (!sched.shutdown.load(std::memory_order_acquire)) {
    uint32_t s = GORO_P_SYSCALL;
    // CAS-acquire: pairs with our own store-release, or fails if sysmon retook the P.
    if (p->status.compare_exchange_strong(s, GORO_P_RUNNING, std::memory_order_acquire)) {
      m->p = p;
      p->m.store(m, std::memory_order_relaxed);
      // Go's exitsyscall bumps syscalltick too: sysmon's run key must move now, or a P retaken
      // mid-call (and the same run key seen since) makes the G a hog the moment it is back.
      p->syscalltick.fetch_add(1, std::memory_order_relaxed);
      pub_p(p);
      got = true;
    } else {
      std::lock_guard<std::mutex> l(sched.lock);
      if (P* np = pidleget_locked()) {
        np->syscalltick.fetch_add(1, std::memory_order_relaxed);  // a new run key, as above
        acquirep(m, np);
        got = true;
      }
    }
  }
  if (got) {
    g->status.store(GORO_G_RUNNING, std::memory_order_relaxed);
    const uint32_t flags = long_running_end(g);  // it let go of its P for the call
    goro_g_rec& r = *g->rec;
    rec_begin(r.seq);
    st(r.state, uint32_t(GORO_G_RUNNING));
    st(r.run_since_ns, uint64_t(coarse_now.load(std::memory_order_relaxed)));  // holds a P again from now
    st(r.flags, flags);
    rec_end(r.seq);
    pub_m(m);
    return;
  }
  // No P: queue the G globally and let this M stop (it is on g0 after the switch).
  m->prev = g;
  m->after = After::SyscallBlocked;
  m->curg.store(nullptr, std::memory_order_relaxed);
  switch_to_g0(m, g);
}

// ---- run ---------------------------------------------------------------------------------------------------------
static uint32_t default_procs() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return uint32_t(std::max(1, CPU_COUNT(&set)));
  return uint32_t(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
}

static uint64_t env_u64(const char* name, uint64_t def, uint64_t lo, uint64_t hi) {
  const char* s = getenv(name);
  if (!s || !*s) return def;
  char* end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end || v < lo || v > hi) {
    fprintf(stderr, "goro: ignoring %s=%s (want an integer in [%llu, %llu])\n", name, s, (unsigned long long)lo,
            (unsigned long long)hi);
    return def;
  }
  return v;
}

// The default stack is 128 KiB of address space (Boost.Context's and Seastar's default), of
// which a parked G touches one page; what a G touches below the top 32 KiB is given back when it
// exits (stack.cpp). Room for ordinary C++: iostreams, std::regex on a few hundred characters, a
// 32 KiB buffer, a library callback. Twice that cost 0.5 s more to park 1M Gs and 260 bytes more
// page tables per G (a wider slot): see HACKING.md, "Fixed stacks".
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr uint64_t kDefaultStack = 512 << 10;  // sanitizers' redzones and shadow frames are large
#else
constexpr uint64_t kDefaultStack = 128 << 10;
#endif

static void main_tramp(void* arg) { (*static_cast<std::function<void()>*>(arg))(); }

uint32_t live_threads() { return threads_alive.load(); }

}  // namespace goro::detail

namespace goro {

int run(std::function<void()> main_fn) {
  using namespace detail;
  static std::atomic<bool> running{false};
  if (running.exchange(true)) fatal("goro::run: the runtime is already running");
  uint32_t nprocs = uint32_t(env_u64("GORO_MAXPROCS", default_procs(), 1, 1024));
  uint64_t stack = env_u64("GORO_STACK_SIZE", kDefaultStack, 8 << 10, 64 << 20);
  stack_init(stack);
  const StackInfo& si = stack_info();
  introspect_open(nprocs, kMaxM,
                  {si.arena_lo, si.arena_hi, si.slot_size, si.guard_size, si.nslots, uint32_t(si.stack_size), si.guard_kind});

  sched.gomaxprocs = nprocs;
  sched.shutdown.store(0);
  sched.goidgen.store(0);
  sched.mcount.store(0);
  sched.allm = new M*[kMaxM]();
  sched.allp = new P[nprocs];
  coarse_now.store(nanotime());
  sched.start_ns = nanotime();
  {
    std::lock_guard<std::mutex> l(sched.lock);
    for (uint32_t i = nprocs; i-- > 0;) {
      sched.allp[i].id = i;
      sched.allp[i].rec = &seg.p[i];
      pidleput_locked(&sched.allp[i]);
    }
  }
  overflow_handler_install();

  M* m0 = new_m_struct(false);
  m0->is_m0 = true;
  m0->tid = pid_t(::syscall(SYS_gettid));
  setm(m0);
  timer_thread_slot(m0->id);
  sigaltstack_setup(m0);
  g0_setup(m0);
  P* p0;
  {
    std::lock_guard<std::mutex> l(sched.lock);
    p0 = pidleget_locked();
  }
  acquirep(m0, p0);
  G* g = g_create_main(p0, main_tramp, &main_fn);
  runqput(p0, g, false);
  sysmon_start();

  schedule_loop(m0);

  // Teardown: the main G returned. sysmon stops first (it may hand Ps to new Ms). Other Ms exit
  // once their G parks, yields or exits; an M in a syscall is detached and its G abandoned, as Go
  // abandons Gs when main returns; it finds shutdown set when the call returns and exits.
  sysmon_stop();
  bool detached = false;
  for (uint32_t i = 0; i < sched.mcount.load(); i++) {
    M* m = sched.allm[i];
    if (m == m0 || m->is_sysmon) continue;  // sysmon_stop joined sysmon
    for (;;) {
      if (m->exited.load(std::memory_order_acquire)) {
        pthread_join(m->thread, nullptr);
        break;
      }
      if (m->in_syscall.load()) {
        pthread_detach(m->thread);
        m->thread = pthread_t{};
        detached = true;
        break;
      }
      notewakeup(m);
      usleep(200);
    }
  }
  if (m0->p) {
    std::lock_guard<std::mutex> l(sched.lock);
    releasep(m0);
  }
  sigaltstack_teardown(m0);
  overflow_handler_remove();
  setm(nullptr);
  // A detached M still uses its M, the Ps and the segment when its syscall returns: leak them.
  if (!detached) {
    for (uint32_t i = 0; i < sched.mcount.load(); i++) delete sched.allm[i];
    delete[] sched.allm;
    delete[] sched.allp;
  }
  sched.allm = nullptr;
  sched.allp = nullptr;
  sched.runq.clear();
  sched.runqsize.store(0);
  sched.pidle = nullptr;
  sched.npidle.store(0);
  sched.midle = nullptr;
  sched.nmidle = 0;
  sched.nmspinning.store(0);
  sched.gfree.clear();
  sched.ngfree.store(0);
  sched.nsyscall.store(0);
  sched.nmsys = 0;
  sched.gomaxprocs = 0;
  if (detached) unlink_segment_only();
  else introspect_close();
  running.store(false);
  return 0;
}

}  // namespace goro
