// dump.cpp: take_dump(): check the target, read the headers, capture, unwind, symbolize.
#include "stack/dump.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "model/error.h"
#include "procfs/maps_read_file.h"
#include "procfs/proc_text.h"
#include "stack/capture.h"
#include "stack/denied.h"
#include "stack/go_stacks.h"
#include "stack/goro_stacks.h"
#include "stack/unwind.h"
#include "sym/proc_symbols.h"
#include "sys/clock.h"

namespace ts::stack {
namespace {

constexpr uint64_t kPfKthread = 0x00200000;
constexpr int32_t kGUnitBase = 0x40000000;  // goroutine pseudo-thread ids: above any tid (2^22)

void expand(const sym::Site& s, const PhysFrame& pf, const Options& o, std::vector<Frame>& out) {
  Frame base;
  base.pc = pf.pc;
  base.module = s.module;
  base.module_path = s.module_path;
  base.offset = s.offset;
  base.module_addr = s.module_addr;
  base.build_id = s.build_id;
  const size_t n = s.frames.size();
  if (o.inlines && n > 1) {
    for (size_t i = 0; i < n; ++i) {
      Frame f = base;
      f.function = i + 1 == n && !s.function.empty() ? s.function : s.frames[i].function;
      if (o.source) {
        f.file = s.frames[i].file;
        f.line = s.frames[i].line;
      }
      f.inlined = i + 1 < n;
      f.caller_of_inline = i > 0;
      out.push_back(std::move(f));
    }
    return;
  }
  Frame f = base;
  f.function = !s.function.empty() ? s.function : n ? s.frames.back().function : "";
  if (o.source) {
    // Without inline frames the line shown is the physical function's own (its outermost call).
    f.file = n ? s.frames.back().file : s.file;
    f.line = n ? s.frames.back().line : s.line;
  }
  out.push_back(std::move(f));
}

std::vector<Frame> symbolize(sym::ProcSymbols& syms, const UnwindResult& r, const Options& o) {
  std::vector<Frame> out;
  for (const PhysFrame& pf : r.frames) expand(syms.lookup(pf.pc, !pf.activation && pf.pc), pf, o, out);
  return out;
}

// outermost() tells whether pc lies in a function a thread's stack starts in: where an unwind that
// ran out of frames has truly reached the bottom. libdwfl ends an unwind quietly, as if at the
// bottom, when a register it needs is unknown, which is what a thread read without a stop lacks
// (only sp and pc): such an unwind is then redone from a stop.
bool outermost(sym::ProcSymbols& syms, const UnwindResult& r) {
  if (r.frames.empty()) return false;
  const PhysFrame& last = r.frames.back();
  const std::string& fn = syms.lookup(last.pc, !last.activation && last.pc).function;
  for (const char* f : {"_start", "__clone3", "__clone", "clone", "clone3", "start_thread", "__libc_start_main",
                        "__libc_start_call_main", "goro_gstart",
                        // a Go program's threads start in mstart (rt0_go for the first); its Gs in goexit
                        "runtime.mstart.abi0", "runtime.mstart", "runtime.rt0_go.abi0", "runtime.rt0_go",
                        "runtime.goexit.abi0", "runtime.goexit"})
    if (fn == f) return true;
  return false;
}

// go_name() is a Go function's name as Go's traceback prints it: ELF symbols of assembly functions
// carry an ABI suffix (runtime.gogo.abi0) that Go's own function table does not.
std::string go_name(std::string fn) {
  if (fn.ends_with(".abi0")) fn.resize(fn.size() - 5);
  return fn;
}

void go_names(std::vector<Frame>& frames) {
  for (Frame& f : frames) f.function = go_name(std::move(f.function));
}

// go_top() cuts a Go G's frames after runtime.goexit, where Go's traceback ends (its TOPFRAME:
// the return address a G's first function returns to); true when it was found.
bool go_top(std::vector<Frame>& frames) {
  go_names(frames);
  for (size_t i = 0; i < frames.size(); ++i)
    if (frames[i].function == "runtime.goexit" && !frames[i].inlined) {
      frames.resize(i + 1);
      return true;
    }
  return false;
}

// check_target() throws for what cannot be dumped and says what the leader is.
procfs::StatLine check_target(int32_t pid) {
  char buf[4096];
  const std::string stat = "/proc/" + std::to_string(pid) + "/stat";
  const ssize_t n = procfs::read_small(stat.c_str(), buf, sizeof buf);
  procfs::StatLine sl;
  if (n <= 0 || !procfs::parse_stat(std::string_view(buf, static_cast<size_t>(n)), sl))
    throw Error("no process with pid " + std::to_string(pid));
  // /proc/TID/stat answers for a thread id too, with the thread's own id: its group is in status.
  const int32_t tgid = procfs::tgid_of(pid);
  if (tgid != 0 && tgid != pid) throw Error("pid " + std::to_string(pid) + " is a thread of pid " + std::to_string(tgid) +
                                 ": give the process id (and -t " + std::to_string(pid) + " for this thread)");
  return sl;
}

// probe_access() throws a clear error when pid may not be traced (the syscall file needs the
// same access as ptrace itself).
void probe_access(int32_t pid, const std::vector<RawThread>& threads) {
  for (const RawThread& t : threads) {
    if (t.gone || t.kthread || t.state == 'Z' || t.state == 'X') continue;
    char buf[256];
    const std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(t.tid) + "/syscall";
    if (procfs::read_small(path.c_str(), buf, sizeof buf) >= 0) return;
    if (is_denied_errno(errno)) throw Error(ptrace_denied(pid, errno, path));
    return;  // gone: the capture will say so
  }
}

}  // namespace

const char* capture_name(Capture c) {
  switch (c) {
    case Capture::NoStop: return "nostop";
    case Capture::Stopped: return "stopped";
    case Capture::Frozen: return "frozen";
    case Capture::None: return "none";
  }
  return "none";
}

Dump take_dump(int32_t pid, const Options& opt) {
  const uint64_t t_start = sys::monotonic_ns();
  Dump d;
  d.pid = pid;
  const procfs::StatLine leader = check_target(pid);
  d.name = leader.comm;
  d.state = leader.state;
  const bool kthread = (leader.flags & kPfKthread) != 0;

  // Headers first: names, states and system calls as they were before anything is stopped.
  std::vector<RawThread> raw = list_threads(pid, opt.tids, opt.kernel || kthread);
  if (raw.empty()) throw Error("no process with pid " + std::to_string(pid) + " (it exited)");
  bool any_live = false;
  for (const RawThread& t : raw) any_live |= !t.gone && t.state != 'Z' && t.state != 'X';
  if (!kthread && !any_live && opt.tids.empty())
    throw Error("pid " + std::to_string(pid) + " is a zombie: it has exited and waits for its parent (pid " +
                std::to_string(leader.ppid) + ") to reap it; it has no stack left");
  d.kernel_thread = kthread;
  if (kthread)
    d.notes.push_back("pid " + std::to_string(pid) + " is a kernel thread (" + leader.comm +
                      "): it has no user-space stack" + (raw.front().kernel.empty() ? "" : "; its kernel stack is shown"));
  else
    probe_access(pid, raw);
  d.job_stopped = leader.state == 'T';

  // A zombie leader has no address space left: its live threads' ids name the process's memory.
  int32_t mem = pid;
  if (leader.state == 'Z')
    for (const RawThread& t : raw)
      if (!t.gone && t.state != 'Z' && t.state != 'X') {
        mem = t.tid;
        break;
      }
  std::unique_ptr<sym::ProcSymbols> syms;
  Maps maps;
  if (!kthread) {
    // Modules reported while the target runs; DWARF only read when lines or inlines are shown.
    syms = std::make_unique<sym::ProcSymbols>(mem, opt.source || opt.inlines);
    maps = read_maps(mem);
  }
  std::vector<RawThread*> todo;
  for (RawThread& t : raw) todo.push_back(&t);
  if (!kthread) d.capture_ns = capture_threads(pid, mem, todo, maps, opt.consistent).capture_ns;

  GoroGs goro;
  if (!kthread && opt.goroutines) {
    goro = read_goro_gs(pid, mem, maps);
    if (!goro.present) goro = read_go_gs(pid, mem, maps, opt.max_frames, syms ? syms->dwfl() : nullptr);
  }
  const bool go = goro.present && go_runtime(goro.snap.runtime);

  // Unwind after the target runs again. A thread read without a stop has only sp and pc; when
  // its unwind needed a register that gives (a frame pointer), it is captured again, stopped.
  std::map<int32_t, UnwindResult> unwound;
  std::vector<Unit> units;
  if (syms && syms->dwfl()) {
    Unwinder uw(syms->dwfl(), mem);
    auto unit_of = [](const RawThread& t) {
      return Unit{t.tid, &t.regs, &t.stack, true, false};
    };
    std::vector<RawThread*> again;
    for (RawThread& t : raw) {
      if (t.gone || t.capture == Capture::None) continue;
      UnwindResult r = uw.unwind(unit_of(t), opt.max_frames);
      if ((!r.complete || !outermost(*syms, r)) && t.capture != Capture::Stopped && t.state != 't' &&
          r.frames.size() < opt.max_frames)
        again.push_back(&t);
      unwound[t.tid] = std::move(r);
    }
    if (!again.empty()) {
      const uint64_t more = capture_threads(pid, mem, again, maps, false, true).capture_ns;
      d.capture_ns += more;
      for (RawThread* t : again)
        if (!t->gone && t->capture != Capture::None) unwound[t->tid] = uw.unwind(unit_of(*t), opt.max_frames);
    }
    for (size_t i = 0; i < goro.gs.size(); ++i) {
      ParkedG& p = goro.gs[i];
      if (p.walked) unwound[kGUnitBase + static_cast<int32_t>(i)] = std::move(p.walk);
      if (!p.parked) continue;
      // A saved pc is a return address, except a Go G's that never ran: its function's entry.
      const bool ret = !go || syms->lookup(p.g.pc).offset != 0;
      const Unit u{kGUnitBase + static_cast<int32_t>(i), &p.regs, &p.stack, false, ret};
      unwound[u.id] = uw.unwind(u, opt.max_frames);
    }
  }

  // Threads, numbered as gdb numbers them (the leader 1, then by tid), printed highest first.
  std::sort(raw.begin(), raw.end(), [pid](const RawThread& a, const RawThread& b) {
    return (a.tid == pid) != (b.tid == pid) ? a.tid == pid : a.tid < b.tid;
  });
  std::map<int32_t, const GoroM*> m_of_tid;
  for (const GoroM& m : goro.snap.ms)
    if (m.tid) m_of_tid[m.tid] = &m;
  int number = 0;
  std::map<int32_t, int> number_of;
  for (RawThread& t : raw) {
    if (t.gone) {
      d.notes.push_back(t.note.empty() ? "LWP " + std::to_string(t.tid) + " exited during the dump" : t.note);
      continue;
    }
    ThreadStack ts;
    ts.tid = t.tid;
    ts.number = ++number;
    number_of[t.tid] = ts.number;
    ts.name = t.name;
    ts.state = t.state;
    ts.syscall_nr = t.syscall_nr;
    ts.syscall = syscall_name(t.syscall_nr);
    ts.syscall_restarted = t.syscall_restarted;
    ts.capture = t.capture;
    ts.stopped_ns = t.stopped_ns;
    ts.kernel = std::move(t.kernel);
    ts.note = t.note;
    if (t.state == 'Z' || t.state == 'X') ts.note = "zombie: this thread has exited";
    else if (t.kthread) ts.note = "a kernel thread: no user-space stack";
    if (auto it = unwound.find(t.tid); it != unwound.end()) {
      ts.frames = symbolize(*syms, it->second, opt);
      if (go) go_names(ts.frames);
      ts.unwind_complete = it->second.complete;
      if (!it->second.complete && ts.note.empty()) ts.note = it->second.error;
    }
    if (auto it = m_of_tid.find(t.tid); it != m_of_tid.end()) {
      ts.goro_m = static_cast<int32_t>(it->second->id);
      ts.goro_g = it->second->cur_goid;
    }
    if (ts.capture == Capture::Stopped && ts.stopped_ns >= d.longest_stop_ns) {
      d.longest_stop_ns = ts.stopped_ns;
      d.longest_stop_tid = ts.tid;
    }
    d.threads.push_back(std::move(ts));
  }
  std::reverse(d.threads.begin(), d.threads.end());

  // Goroutines.
  d.goro = goro.present;
  d.runtime = goro.snap.runtime;
  if (!goro.error.empty()) d.notes.push_back("goroutines not shown: " + goro.error);
  d.gs.reserve(goro.gs.size());  // 100k Gs: no reallocation touching twice the memory
  std::map<uint64_t, int32_t> tid_of_m;
  for (const GoroM& m : goro.snap.ms) tid_of_m[m.id] = m.tid;
  for (size_t i = 0; i < goro.gs.size(); ++i) {
    ParkedG& p = goro.gs[i];
    if (p.note == "it exited during the dump") {
      d.notes.push_back("goroutine " + std::to_string(p.g.goid) + " exited during the dump");
      continue;
    }
    GStack gs;
    gs.g = p.g;
    gs.note = p.note;
    if (p.g.m_id >= 0 && (p.g.state == GState::Running || p.g.state == GState::Syscall))
      if (auto it = tid_of_m.find(static_cast<uint64_t>(p.g.m_id)); it != tid_of_m.end()) {
        gs.tid = it->second;
        if (auto n = number_of.find(gs.tid); n != number_of.end()) gs.thread_number = n->second;
      }
    if (auto it = unwound.find(kGUnitBase + static_cast<int32_t>(i)); it != unwound.end()) {
      gs.frames = symbolize(*syms, it->second, opt);
      const bool at_top = go && go_top(gs.frames);
      if (!it->second.complete && !at_top && gs.note.empty()) gs.note = it->second.error;
    }
    if (p.g.create_pc && syms) {
      const sym::Site& s = syms->lookup(p.g.create_pc, true);
      if (go) {
        gs.created_by_go = s;
        gs.created_by_go.function = go_name(s.function);
      }
      Options chain = opt;
      chain.inlines = true;  // "created by" names the innermost caller outside goro's headers
      expand(s, PhysFrame{p.g.create_pc, false}, chain, gs.created_by);
    }
    d.gs.push_back(std::move(gs));
  }
  d.total_ns = sys::monotonic_ns() - t_start;
  return d;
}

}  // namespace ts::stack
