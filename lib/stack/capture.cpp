// capture.cpp: registers and stack tops of a process's threads, taken quickly; see capture.h.
#include "stack/capture.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "procfs/maps_parse.h"
#include "procfs/maps_read_file.h"
#include "procfs/proc_ids.h"
#include "procfs/proc_text.h"
#include "sys/clock.h"

namespace ts::stack {
namespace {

constexpr uint64_t kRedZone = 128;         // the x86-64 ABI's red zone below sp
constexpr uint64_t kStackCap = 512 << 10;  // at most this much of a stack is copied
constexpr uint64_t kPage = 4096;
constexpr uint64_t kPfKthread = 0x00200000;

// SyscallLine is /proc/PID/task/TID/syscall: "running", or "NR [args...] SP PC" (NR -1 when the
// thread is blocked outside a system call).
struct SyscallLine {
  bool ok = false;       // read and parsed
  bool gone = false;     // the thread no longer exists
  bool running = false;  // on a CPU or runnable: no registers without a stop
  long nr = -1;
  uint64_t sp = 0, pc = 0;
  bool operator==(const SyscallLine& o) const { return running == o.running && nr == o.nr && sp == o.sp && pc == o.pc; }
};

SyscallLine read_syscall(int task_fd, int32_t tid) {
  SyscallLine s;
  char buf[256];
  const std::string path = std::to_string(tid) + "/syscall";
  const ssize_t n = procfs::read_small_at(task_fd, path.c_str(), buf, sizeof buf - 1);
  if (n < 0) {
    s.gone = errno == ENOENT || errno == ESRCH;
    return s;
  }
  buf[n] = '\0';
  if (std::strncmp(buf, "running", 7) == 0) {
    s.ok = s.running = true;
    return s;
  }
  // The last two fields are sp and pc, whatever comes before them.
  std::vector<uint64_t> v;
  char* p = buf;
  char* end = nullptr;
  s.nr = std::strtol(p, &end, 10);
  if (end == p) return s;
  for (p = end; *p && *p != '\n';) {
    errno = 0;
    const uint64_t x = std::strtoull(p, &end, 0);
    if (end == p || errno) return s;
    v.push_back(x);
    p = end;
  }
  if (v.size() < 2) return s;
  s.sp = v[v.size() - 2];
  s.pc = v[v.size() - 1];
  s.ok = true;
  return s;
}

constexpr long kRestartSyscall = 219;  // x86-64 restart_syscall

// restarted_call() is the system call a thread blocked in restart_syscall first made: a call the
// kernel resumes after a stop (nanosleep, clock_nanosleep, futex with a timeout, poll) is re-entered
// as restart_syscall, and /proc then names that. Read from the code before its pc: the syscall
// instruction (0f 05) just after "mov $NR, %eax" (b8 imm32) or "mov $NR, %rax" (48 c7 c0 imm32),
// as glibc's and Go's wrappers are written; -1 when the code is not that (the name stays).
long restarted_call(int32_t tid, uint64_t pc) {
  uint8_t b[9];
  if (pc < sizeof b) return -1;
  iovec local{b, sizeof b};
  iovec remote{reinterpret_cast<void*>(pc - sizeof b), sizeof b};
  if (process_vm_readv(tid, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(sizeof b)) return -1;
  if (b[7] != 0x0f || b[8] != 0x05) return -1;
  const bool mov_eax = b[2] == 0xb8;
  const bool mov_rax = b[0] == 0x48 && b[1] == 0xc7 && b[2] == 0xc0;
  if (!mov_eax && !mov_rax) return -1;
  int32_t nr;
  std::memcpy(&nr, b + 3, 4);
  return nr >= 0 && nr < 1024 && nr != kRestartSyscall ? nr : -1;
}

// Tracee is a thread being stopped, with what its stop said.
struct Tracee {
  RawThread* t = nullptr;
  bool seized = false;
  bool stopped = false;
  int deliver = 0;            // a signal its stop intercepted, given back at detach
  bool group_stop = false;    // the stop was a job-control stop
  uint64_t t0 = 0;
};

void set_regs_from(const user_regs_struct& u, Regs& r) {
  const uint64_t v[kDwarfRegs] = {u.rax, u.rdx, u.rcx, u.rbx, u.rsi, u.rdi, u.rbp, u.rsp, u.r8,
                                  u.r9,  u.r10, u.r11, u.r12, u.r13, u.r14, u.r15, u.rip};
  for (int i = 0; i < kDwarfRegs; ++i) r.set(i, v[i]);
}

// wait_stop() waits for tracee tid's next stop. False when it exited instead.
bool wait_stop(Tracee& tr) {
  for (;;) {
    int st = 0;
    const pid_t w = waitpid(tr.t->tid, &st, __WALL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;  // ECHILD: gone (reaped by its group's exit)
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) return false;
    if (!WIFSTOPPED(st)) continue;
    const int event = st >> 16;
    const int sig = WSTOPSIG(st);
    if (event == PTRACE_EVENT_STOP) {
      tr.group_stop = sig != SIGTRAP;  // SIGSTOP/SIGTSTP/...: job control stopped it meanwhile
    } else if (event == 0) {
      tr.deliver = sig;  // a signal-delivery-stop: the signal goes back at detach
    }
    return true;
  }
}

// seize() starts tracing without stopping; false with a note when it cannot.
bool seize(Tracee& tr) {
  if (ptrace(PTRACE_SEIZE, tr.t->tid, nullptr, nullptr) == 0) return tr.seized = true;
  if (errno == ESRCH) tr.t->gone = true;
  else tr.t->note = std::string("cannot stop it: ") + std::strerror(errno) +
                    (errno == EPERM ? " (is another debugger or tracer attached?)" : "");
  return false;
}

// read_stopped() reads a stopped tracee's registers and stack top.
void read_stopped(int32_t pid, Tracee& tr, const Maps& maps) {
  user_regs_struct u{};
  iovec iov{&u, sizeof u};
  if (ptrace(PTRACE_GETREGSET, tr.t->tid, reinterpret_cast<void*>(NT_PRSTATUS), &iov) != 0) {
    tr.t->note = std::string("cannot read its registers: ") + std::strerror(errno);
    return;
  }
  set_regs_from(u, tr.t->regs);
  const uint64_t sp = u.rsp;
  if (const MemorySegment* m = maps.find(sp))
    copy_memory(pid, std::max(m->start, sp - kRedZone), std::min(m->end, sp + kStackCap), tr.t->stack);
}

void detach(Tracee& tr) {
  if (!tr.seized) return;
  if (tr.stopped) {
    ptrace(PTRACE_DETACH, tr.t->tid, nullptr, reinterpret_cast<void*>(static_cast<intptr_t>(tr.deliver)));
    const uint64_t held = sys::monotonic_ns() - tr.t0;
    if (tr.t->capture == Capture::Stopped) tr.t->stopped_ns = held;
  }
  tr.seized = false;
}

void mark_stopped(Tracee& tr, char state_before) {
  tr.t->capture = state_before == 'T' || tr.group_stop ? Capture::Frozen : Capture::Stopped;
}


// Look is what a look at a thread without stopping it found.
enum class Look {
  Read,     // registers (sp, pc) and stack top read: it stayed blocked all along
  Gone,     // it exited
  Running,  // on a CPU or waiting for one: no registers without a stop
  Moved,    // it woke, or the file could not be read: stop it
};

// look_without_stop() reads a blocked thread without a stop: its syscall file (what
// list_threads() read serves as the first look, once), a copy of its stack top, and the syscall
// file again, which decides.
Look look_without_stop(int task_fd, int32_t mem, RawThread& t, const Maps& maps) {
  SyscallLine a;
  if (t.blocked_seen) {
    a.ok = true;
    a.nr = t.blocked_nr;
    a.sp = t.blocked_sp;
    a.pc = t.blocked_pc;
    t.blocked_seen = false;
  } else {
    a = read_syscall(task_fd, t.tid);
  }
  if (a.gone) {
    t.gone = true;
    return Look::Gone;
  }
  if (!a.ok) return Look::Moved;
  if (a.running) return Look::Running;
  if (const MemorySegment* m = maps.find(a.sp))
    copy_memory(mem, std::max(m->start, a.sp - kRedZone), std::min(m->end, a.sp + kStackCap), t.stack);
  const SyscallLine b = read_syscall(task_fd, t.tid);
  if (b.ok && b == a) {
    t.regs.set(kDwarfSp, a.sp);
    t.regs.set(kDwarfPc, a.pc);
    t.capture = t.state == 'T' || t.state == 't' ? Capture::Frozen : Capture::NoStop;
    return Look::Read;
  }
  t.stack = StackCopy{};
  if (b.gone) {
    t.gone = true;
    return Look::Gone;
  }
  return b.ok && b.running ? Look::Running : Look::Moved;
}

// Boost raises the calling thread to nice -20 while it lives (when permitted: root or
// CAP_SYS_NICE; otherwise nothing changes) and gives the old value back after.
class Boost {
 public:
  explicit Boost(bool on) {
    if (!on) return;
    errno = 0;
    old_ = getpriority(PRIO_PROCESS, 0);  // 0: this thread
    if (errno == 0 && old_ > kTop) raised_ = setpriority(PRIO_PROCESS, 0, kTop) == 0;
  }
  ~Boost() {
    if (raised_) setpriority(PRIO_PROCESS, 0, old_);
  }
  Boost(const Boost&) = delete;
  Boost& operator=(const Boost&) = delete;

 private:
  static constexpr int kTop = -20;
  int old_ = 0;
  bool raised_ = false;
};

}  // namespace

bool StackCopy::word(uint64_t addr, uint64_t* out) const {
  if (addr < base || addr - base + 8 > bytes.size()) return false;
  std::memcpy(out, bytes.data() + (addr - base), 8);
  return true;
}

const MemorySegment* Maps::find(uint64_t addr) const {
  auto it = std::upper_bound(segs.begin(), segs.end(), addr, [](uint64_t a, const MemorySegment& m) { return a < m.start; });
  if (it == segs.begin()) return nullptr;
  --it;
  return addr < it->end ? &*it : nullptr;
}

bool Maps::readable(uint64_t addr, uint64_t len) const {
  for (uint64_t at = addr, end = addr + len; at < end;) {
    const MemorySegment* m = find(at);
    if (!m || m->perms.empty() || m->perms[0] != 'r') return false;
    at = m->end;
  }
  return len == 0 || addr + len > addr;
}

bool Maps::executable(uint64_t addr) const {
  const MemorySegment* m = find(addr);
  return m && m->perms.size() > 2 && m->perms[2] == 'x';
}

Maps read_maps(int32_t pid) {
  Maps m;
  const FileRead f = read_proc_file("/proc/" + std::to_string(pid) + "/maps");
  if (!f.ok()) return m;
  m.segs = parse_maps(f.text);
  std::sort(m.segs.begin(), m.segs.end(), [](const MemorySegment& a, const MemorySegment& b) { return a.start < b.start; });
  return m;
}

void copy_memory(int32_t pid, uint64_t lo, uint64_t hi, StackCopy& out) {
  out.base = lo;
  out.bytes.assign(hi > lo ? hi - lo : 0, 0);
  // One remote iovec per page: a read stops at the first unreadable page (a guard) and keeps the
  // pages before it.
  size_t done = 0;
  while (done < out.bytes.size()) {
    iovec local{out.bytes.data() + done, out.bytes.size() - done};
    iovec remote[1024];
    int n = 0;
    for (uint64_t at = lo + done; at < hi && n < 1024; ++n) {
      const uint64_t next = std::min(hi, (at & ~(kPage - 1)) + kPage);
      remote[n] = iovec{reinterpret_cast<void*>(at), next - at};
      at = next;
    }
    const ssize_t got = process_vm_readv(pid, &local, 1, remote, n, 0);
    if (got <= 0) break;
    done += static_cast<size_t>(got);
    uint64_t asked = 0;
    for (int i = 0; i < n; ++i) asked += remote[i].iov_len;
    if (static_cast<uint64_t>(got) < asked) break;
  }
  out.bytes.resize(done);
}

void copy_ranges(int32_t pid, const std::vector<CopyRange>& ranges) {
  std::vector<iovec> local, remote;
  for (size_t first = 0; first < ranges.size();) {
    const size_t n = std::min<size_t>(IOV_MAX, ranges.size() - first);
    local.clear();
    remote.clear();
    for (size_t k = first; k < first + n; ++k) {
      const CopyRange& r = ranges[k];
      r.out->base = r.lo;
      r.out->bytes.resize(r.hi > r.lo ? r.hi - r.lo : 0);
      local.push_back(iovec{r.out->bytes.data(), r.out->bytes.size()});
      remote.push_back(iovec{reinterpret_cast<void*>(r.lo), r.out->bytes.size()});
    }
    const ssize_t got = process_vm_readv(pid, local.data(), n, remote.data(), n, 0);
    // The kernel fills the ranges in order and stops at the first it cannot read.
    size_t have = got > 0 ? static_cast<size_t>(got) : 0;
    for (size_t k = first; k < first + n; ++k) {
      const CopyRange& r = ranges[k];
      if (have >= r.out->bytes.size()) {
        have -= r.out->bytes.size();
        continue;
      }
      have = 0;
      copy_memory(pid, r.lo, r.hi, *r.out);
    }
    first += n;
  }
}

std::string syscall_name(long nr) {
  if (nr < 0) return "";
  if (char* n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, static_cast<int>(nr))) {
    std::string s = n;
    std::free(n);
    return s;
  }
  return "syscall_" + std::to_string(nr);
}

std::vector<RawThread> list_threads(int32_t pid, const std::vector<int32_t>& only, bool kernel) {
  std::vector<RawThread> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  const int task_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (task_fd < 0) return out;
  std::vector<int32_t> tids;
  if (DIR* d = fdopendir(dup(task_fd))) {
    while (const dirent* e = readdir(d))
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9') tids.push_back(std::atoi(e->d_name));
    closedir(d);
  }
  std::sort(tids.begin(), tids.end());
  std::vector<int32_t> want = tids;
  if (!only.empty()) {
    want = only;
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
  }
  char buf[4096];
  for (const int32_t tid : want) {
    RawThread t;
    t.tid = tid;
    if (!std::binary_search(tids.begin(), tids.end(), tid)) {
      t.gone = true;
      t.note = "LWP " + std::to_string(tid) + " is not a thread of pid " + std::to_string(pid);
      out.push_back(std::move(t));
      continue;
    }
    const std::string stat = std::to_string(tid) + "/stat";
    const ssize_t n = procfs::read_small_at(task_fd, stat.c_str(), buf, sizeof buf);
    procfs::StatLine sl;
    if (n <= 0 || !procfs::parse_stat(std::string_view(buf, static_cast<size_t>(n)), sl)) {
      t.gone = true;
      t.note = "LWP " + std::to_string(tid) + " exited during the dump";
      out.push_back(std::move(t));
      continue;
    }
    t.state = sl.state;
    t.kthread = (sl.flags & kPfKthread) != 0;
    // stat's comm is the comm file's text (the kernel prints both with proc_task_name()): one
    // open and read fewer per thread.
    t.name = std::move(sl.comm);
    if (!t.kthread && t.state != 'Z' && t.state != 'X') {
      const SyscallLine sc = read_syscall(task_fd, tid);
      if (sc.ok && !sc.running) {
        t.syscall_nr = sc.nr;
        t.blocked_seen = true;  // the capture's first look: one read of the file fewer per thread
        t.blocked_nr = sc.nr;
        t.blocked_sp = sc.sp;
        t.blocked_pc = sc.pc;
      }
      if (t.syscall_nr == kRestartSyscall)
        if (const long first = restarted_call(tid, sc.pc); first >= 0) {
          t.syscall_nr = first;
          t.syscall_restarted = true;
        }
    }
    if (kernel) {
      const FileRead k = read_proc_file(dir + "/" + std::to_string(tid) + "/stack");
      if (k.ok()) {
        for (size_t at = 0; at < k.text.size();) {
          size_t nl = k.text.find('\n', at);
          if (nl == std::string::npos) nl = k.text.size();
          if (nl > at) t.kernel.push_back(k.text.substr(at, nl - at));
          at = nl + 1;
        }
      } else {
        t.kernel.push_back(std::string("(kernel stack unreadable: ") + std::strerror(k.error) + ")");
      }
    }
    out.push_back(std::move(t));
  }
  close(task_fd);
  return out;
}

CaptureStats capture_threads(int32_t pid, int32_t mem, std::vector<RawThread*>& threads, const Maps& maps,
                             bool consistent, bool force_stop) {
  CaptureStats stats;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  const int task_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (task_fd < 0) {
    for (RawThread* t : threads) t->gone = true;
    return stats;
  }
  const uint64_t start = sys::monotonic_ns();
  std::vector<Tracee> to_stop;
  std::vector<RawThread*> running;  // on a CPU (or waiting for one) at the first look
  for (RawThread* t : threads) {
    if (t->gone || t->kthread || t->state == 'Z' || t->state == 'X') continue;
    t->regs = Regs{};
    t->stack = StackCopy{};
    t->note.clear();
    // Off the CPU (blocked in a call, or stopped): read without a stop. A thread another tracer
    // holds ('t') cannot be seized, so it is only read this way.
    if ((!consistent && !force_stop) || t->state == 't') {
      const Look l = look_without_stop(task_fd, mem, *t, maps);
      if (l == Look::Read || l == Look::Gone) continue;
      if (l == Look::Running && t->state != 't') {
        running.push_back(t);
        continue;
      }
      if (t->state == 't') {
        t->note = "held by another tracer and running: not captured";
        continue;
      }
    }
    Tracee tr;
    tr.t = t;
    to_stop.push_back(tr);
  }
  // A thread that was running a moment ago is often blocked again now (a thread that wakes, works
  // briefly and sleeps, as most do): one more look before it is stopped.
  for (RawThread* t : running) {
    const Look l = look_without_stop(task_fd, mem, *t, maps);
    if (l == Look::Read || l == Look::Gone) continue;
    Tracee tr;
    tr.t = t;
    to_stop.push_back(tr);
  }
  // While threads are held, this thread runs at the highest priority it may take, so that a CPU
  // taken by other work does not keep it from reading and releasing them.
  const Boost boost(!to_stop.empty());
  if (!consistent) {
    // Rolling: one thread stopped at a time, each for as short as possible.
    for (Tracee& tr : to_stop) {
      if (!seize(tr)) continue;
      tr.t0 = sys::monotonic_ns();
      if (ptrace(PTRACE_INTERRUPT, tr.t->tid, nullptr, nullptr) == 0 && wait_stop(tr)) {
        tr.stopped = true;
        mark_stopped(tr, tr.t->state);
        read_stopped(mem, tr, maps);
      } else {
        tr.t->gone = true;
      }
      detach(tr);
    }
  } else {
    // Consistent: seize and interrupt them all, then wait, read, and detach them all.
    for (Tracee& tr : to_stop)
      if (seize(tr)) {
        tr.t0 = sys::monotonic_ns();
        if (ptrace(PTRACE_INTERRUPT, tr.t->tid, nullptr, nullptr) != 0) tr.t->gone = true;
      }
    for (Tracee& tr : to_stop)
      if (tr.seized && !tr.t->gone) {
        if (wait_stop(tr)) {
          tr.stopped = true;
          mark_stopped(tr, tr.t->state);
        } else {
          tr.t->gone = true;
        }
      }
    for (Tracee& tr : to_stop)
      if (tr.stopped) read_stopped(mem, tr, maps);
    for (Tracee& tr : to_stop) detach(tr);
  }
  for (Tracee& tr : to_stop)
    if (tr.t->gone) tr.t->note = "LWP " + std::to_string(tr.t->tid) + " exited during the dump";
  stats.capture_ns = sys::monotonic_ns() - start;
  close(task_fd);
  return stats;
}

}  // namespace ts::stack
