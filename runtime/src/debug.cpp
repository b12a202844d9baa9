// debug.cpp: fatal errors, the goroutine dump, deadlock detection and GORO_DEBUG=schedtrace.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include "dwarf/symbolizer.h"
#include "introspect.h"
#include "sched.h"

namespace goro::detail {

static const char* state_name(uint32_t state, uint32_t reason) {
  switch (state) {
    case GORO_G_IDLE: return "idle";
    case GORO_G_RUNNABLE: return "runnable";
    case GORO_G_RUNNING: return "running";
    case GORO_G_SYSCALL: return "syscall";
    case GORO_G_WAITING: return goro_wait_reason_name(reason);
    case GORO_G_DEAD: return "dead";
  }
  return "?";
}

[[noreturn]] void fatal(const char* msg) {
  std::string s = std::string("fatal error: ") + msg + "\n";
  ssize_t ignored = write(2, s.data(), s.size());
  (void)ignored;
  introspect_unlink_now();
  _exit(2);
}

static std::string hex(uintptr_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%lx", (unsigned long)v);
  return buf;
}

// function() is the demangled function holding pc, or its address in hex (ELF symbols, so static
// functions too, which dladdr misses).
static std::string function(const ts::dwarf::Symbolizer& syms, uintptr_t pc) {
  const ts::dwarf::Site s = syms.lookup(pc);
  return s.function.empty() ? hex(pc) : s.function;
}

// call_site() describes the call before return address ret as Go's traceback does: the calling
// function, then "\t file:line +0xoff" of the innermost inline level outside goro's headers.
static std::string call_site(const ts::dwarf::Symbolizer& syms, uintptr_t ret) {
  const ts::dwarf::Site s = syms.lookup(ret, true);
  if (s.function.empty()) return hex(ret) + "\n";
  const ts::dwarf::Frame f = ts::dwarf::user_frame(s, "include/goro/");
  // An inlined caller's own qualified name (DWARF may only know "operator()"), else the symbol's.
  const std::string& fn = f.function.find("::") != std::string::npos ? f.function : s.function;
  if (f.file.empty() || f.line <= 0) return fn + "\n";
  return fn + "\n\t" + f.file + ":" + std::to_string(f.line) + " +" + hex(s.offset) + "\n";
}

// start_function() names a G's function: the F of the goro::detail::g_trampoline<F> it starts in.
static std::string start_function(const ts::dwarf::Symbolizer& syms, uintptr_t start_pc) {
  std::string f = function(syms, start_pc);
  const std::string tramp = "goro::detail::g_trampoline<";
  size_t at = f.find(tramp), end = f.rfind(">(");
  if (at != std::string::npos && end != std::string::npos && end > at + tramp.size())
    return f.substr(at + tramp.size(), end - at - tramp.size());
  return f;
}

// dump_on_this_stack() is dump_goroutines() on the calling thread's stack.
static void dump_on_this_stack(int fd) {
  const ts::dwarf::Symbolizer syms(getpid());
  std::string out;
  uint32_t n = stack_slots_used();
  if (n > stack_info().nslots) n = stack_info().nslots;
  for (uint32_t i = 0; i < n; i++) {
    G* g = slot_g(i);
    uint64_t id = g->goid.load(std::memory_order_relaxed);
    uint32_t st = g->status.load(std::memory_order_relaxed);
    if (!id || st == GORO_G_DEAD || st == GORO_G_IDLE) continue;
    char line[160];
    snprintf(line, sizeof line, "goroutine %llu [%s]:\n", (unsigned long long)id, state_name(st, g->wait_reason));
    out += line;
    out += start_function(syms, g->start_pc) + "\n";
    if (g->parent) {
      snprintf(line, sizeof line, "created by goroutine %llu at ", (unsigned long long)g->parent);
      out += line + call_site(syms, g->create_pc);
    }
    out += "\n";
  }
  ssize_t ignored = write(fd, out.data(), out.size());
  (void)ignored;
}

static void* dump_thread(void* fd) {
  dump_on_this_stack(*static_cast<int*>(fd));
  return nullptr;
}

// dump_goroutines() prints every live G as Go's traceback header does, with where it was created.
// Only call it when no other thread changes Gs (all Ms idle, or dying). libdw's DWARF walk needs
// more stack than an M's 256 KiB g0 has under the sanitizers: it runs on a thread of its own.
void dump_goroutines(int fd) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 16 << 20);
  pthread_t t;
  if (pthread_create(&t, &a, dump_thread, &fd) == 0) pthread_join(t, nullptr);
  else dump_on_this_stack(fd);
  pthread_attr_destroy(&a);
}

void checkdead_locked() {
  // Ms not idle, besides the caller (about to idle) and sysmon: running Gs, in syscalls, or polling.
  uint32_t running = sched.mcount.load() - sched.nmidle - sched.nmsys - 1;
  if (running > 0 || sched.shutdown.load() || sched.nsyscall.load()) return;
  // Order matters: a timer leaves the heap only after sysmon counted itself in nexternal.
  if (timers_pending() || sched.nexternal.load() || netpoll_has_waiters()) return;
  if (sched.runqsize.load()) return;
  int64_t live = 0;
  for (uint32_t i = 0; i < sched.gomaxprocs; i++) {
    if (!runqempty(&sched.allp[i])) return;
    live += sched.allp[i].ngs_live.load(std::memory_order_relaxed);
  }
  if (live <= 0) fatal("checkdead: no goroutines and main has not returned");
  const char* msg = "fatal error: all goroutines are asleep - deadlock!\n\n";
  ssize_t ignored = write(2, msg, strlen(msg));
  (void)ignored;
  dump_goroutines(2);
  introspect_unlink_now();
  _exit(2);
}

DebugOpts debug_opts() {
  DebugOpts o;
  const char* s = getenv("GORO_DEBUG");
  if (!s) return o;
  std::string v(s);
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t comma = v.find(',', pos);
    std::string kv = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) {
      std::string k = kv.substr(0, eq);
      long n = strtol(kv.c_str() + eq + 1, nullptr, 10);
      if (k == "schedtrace") o.schedtrace_ms = n > 0 ? n : 0;
      else if (k == "scheddetail") o.scheddetail = n != 0;
      else fprintf(stderr, "goro: unknown GORO_DEBUG setting %s\n", k.c_str());
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return o;
}

// read_rec() copies a published record under its seq protocol; false when it stayed torn.
template <class R>
static bool read_rec(const R* src, R* dst) {
  static_assert(sizeof(R) % 8 == 0);
  for (int tries = 0; tries < 8; tries++) {
    uint32_t s1 = __atomic_load_n(&src->seq, __ATOMIC_ACQUIRE);
    auto* from = reinterpret_cast<const uint64_t*>(src);
    auto* to = reinterpret_cast<uint64_t*>(dst);
    for (size_t i = 0; i < sizeof(R) / 8; i++) to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
    GORO_SEQ_FENCE(__ATOMIC_ACQUIRE);
    if (!(s1 & 1) && __atomic_load_n(&src->seq, GORO_SEQ_ORDER) == s1) return true;
  }
  return false;
}

// schedtrace() prints Go's SCHED line (and with detail the P, M and G lines) from the published
// records, so it shows exactly what an outside reader sees.
void schedtrace(bool detail) {
  int64_t ms = (nanotime() - sched.start_ns) / 1'000'000;
  uint32_t nmidle;
  {
    std::lock_guard<std::mutex> l(sched.lock);
    nmidle = sched.nmidle;
  }
  uint32_t np = sched.gomaxprocs;
  std::string out, hogs;
  char line[256];
  // Gs sysmon flagged as holding their P > 10 ms (sysmon's own data: we run on sysmon).
  int64_t now = nanotime();
  for (uint32_t i = 0; i < np; i++) {
    const P* p = &sched.allp[i];
    if (!p->sm_hog) continue;
    snprintf(line, sizeof line, "  long-running G%llu on P%u for %lldms: no scheduling point (goro never preempts)\n",
             (unsigned long long)p->sm_hog->goid.load(std::memory_order_relaxed), i,
             (long long)((now - p->sm_run_when) / 1'000'000));
    hogs += line;
  }
  // threads is Go's mcount(): every M, sysmon's included (it has an M record, listed below).
  snprintf(line, sizeof line, "SCHED %lldms: gomaxprocs=%u idleprocs=%u threads=%u spinningthreads=%u idlethreads=%u runqueue=%u",
           (long long)ms, np, sched.npidle.load(), sched.mcount.load(), sched.nmspinning.load(), nmidle,
           sched.runqsize.load());
  out += line;
  goro_p_rec pr[64];
  uint32_t shown = np < 64 ? np : 64;
  for (uint32_t i = 0; i < shown; i++)
    if (!read_rec(&seg.p[i], &pr[i])) pr[i] = goro_p_rec{};
  if (!detail) {
    out += " [";
    for (uint32_t i = 0; i < shown; i++) {
      snprintf(line, sizeof line, "%s%u", i ? " " : "", runqlen(&sched.allp[i]));
      out += line;
    }
    out += "]\n" + hogs;
    fputs(out.c_str(), stderr);
    return;
  }
  out += "\n" + hogs;
  for (uint32_t i = 0; i < shown; i++) {
    snprintf(line, sizeof line, "  P%u: status=%u schedtick=%llu syscalltick=%llu m=%d runqsize=%u gfreecnt=%u\n", i,
             pr[i].status, (unsigned long long)pr[i].schedtick, (unsigned long long)pr[i].syscalltick, pr[i].m_id,
             runqlen(&sched.allp[i]), sched.allp[i].ngfree.load(std::memory_order_relaxed));
    out += line;
  }
  uint32_t nm = sched.mcount.load();
  for (uint32_t i = nm; i-- > 0;) {
    goro_m_rec mr{};
    if (!read_rec(&seg.m[i], &mr)) continue;
    snprintf(line, sizeof line, "  M%u: p=%d curg=%lld spinning=%s blocked=%s insyscall=%s tid=%d\n", i, mr.p_id,
             mr.cur_goid ? (long long)mr.cur_goid : -1LL, mr.spinning ? "true" : "false", mr.parked ? "true" : "false",
             mr.in_syscall ? "true" : "false", mr.tid);
    out += line;
  }
  uint32_t hwm = __atomic_load_n(&seg.desc->g_hwm, __ATOMIC_ACQUIRE);
  for (uint32_t i = 0; i < hwm; i++) {
    goro_g_rec gr{};
    if (!read_rec(&seg.g[i], &gr) || !gr.goid || gr.state == GORO_G_DEAD) continue;
    snprintf(line, sizeof line, "  G%llu: status=%u(%s) m=%d\n", (unsigned long long)gr.goid, gr.state,
             gr.state == GORO_G_WAITING ? state_name(gr.state, gr.wait_reason) : "", gr.m_id);
    out += line;
  }
  fputs(out.c_str(), stderr);
}

}  // namespace goro::detail
