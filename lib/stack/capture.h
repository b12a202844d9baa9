// capture.h: taking a process's thread registers and stack tops quickly, without leaving anything
// stopped. Unwinding and symbolization happen later, over these copies (unwind.h).
//
// A thread blocked in a system call (or otherwise off the CPU) is read without any stop: its
// /proc/PID/task/TID/syscall gives sp and pc, its stack top is copied with process_vm_readv and
// the syscall file is read again; if sp or pc moved the thread is stopped instead. A running thread
// is stopped with PTRACE_SEIZE + PTRACE_INTERRUPT (no SIGSTOP is ever sent, so a killed taskscope's
// tracees simply run on), its registers read with PTRACE_GETREGSET and its stack copied, then it is
// detached at once. `consistent` stops every thread first and resumes them all after the copies.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/segment.h"
#include "stack/dump.h"

namespace ts::stack {

// kDwarfRegs is the number of x86-64 DWARF registers an unwind starts from: rax, rdx, rcx, rbx,
// rsi, rdi, rbp, rsp, r8..r15, then rip (16).
inline constexpr int kDwarfRegs = 17;
inline constexpr int kDwarfSp = 7, kDwarfFp = 6, kDwarfPc = 16;

// Regs is a register set in DWARF order; `known` has bit i set when r[i] is known.
struct Regs {
  uint64_t r[kDwarfRegs] = {};
  uint32_t known = 0;
  void set(int i, uint64_t v) { r[i] = v; known |= 1u << i; }
  bool has(int i) const { return known >> i & 1; }
};

// StackCopy is a copy of target memory [base, base + bytes.size()).
struct StackCopy {
  uint64_t base = 0;
  std::vector<uint8_t> bytes;
  // word() reads the 8 bytes at addr into *out when they lie inside the copy.
  bool word(uint64_t addr, uint64_t* out) const;
};

// RawThread is one LWP as captured: what /proc said before anything was stopped, then its
// registers and stack top.
struct RawThread {
  int32_t tid = 0;
  std::string name;
  char state = '?';
  long syscall_nr = -1;        // -1: not in a system call (or running)
  bool syscall_restarted = false;  // the kernel resumed it after a stop (/proc says restart_syscall)
  bool kthread = false;        // a kernel thread: no user stack
  bool blocked_seen = false;   // list_threads() read it blocked: blocked_nr/sp/pc (unused once captured)
  long blocked_nr = -1;
  uint64_t blocked_sp = 0, blocked_pc = 0;
  Capture capture = Capture::None;
  uint64_t stopped_ns = 0;     // held stopped by us
  bool gone = false;           // exited during the dump
  Regs regs;
  StackCopy stack;
  std::vector<std::string> kernel;
  std::string note;
};

// Maps is the target's mappings, sorted by start, for bounds checks and stack extents.
struct Maps {
  std::vector<MemorySegment> segs;
  // find() is the mapping holding addr, or nullptr.
  const MemorySegment* find(uint64_t addr) const;
  // readable() tells whether [addr, addr+len) lies inside readable mappings.
  bool readable(uint64_t addr, uint64_t len) const;
  // executable() tells whether addr lies in an executable mapping.
  bool executable(uint64_t addr) const;
};

// read_maps() reads /proc/PID/maps; empty when unreadable.
Maps read_maps(int32_t pid);

// list_threads() reads every LWP of pid (or those of `only`), in tid order, with its name, state,
// the system call it is blocked in, and (kernel) its kernel stack, all before anything is stopped.
// Threads of `only` that are not pid's are returned with gone = true and a note.
std::vector<RawThread> list_threads(int32_t pid, const std::vector<int32_t>& only, bool kernel);

// CaptureStats is what the capture cost the target.
struct CaptureStats {
  uint64_t capture_ns = 0;       // first stop or copy to last detach
};

// capture_threads() captures the threads of pid (as described at the top); `mem` names the
// process's memory (pid, or a live thread when the leader is a zombie). Threads that exit meanwhile
// get gone = true. `force_stop`: stop even the blocked ones (used again for threads whose no-stop
// unwind failed).
CaptureStats capture_threads(int32_t pid, int32_t mem, std::vector<RawThread*>& threads, const Maps& maps,
                             bool consistent, bool force_stop = false);

// copy_memory() copies [lo, hi) of pid into out (as far as it is readable from lo on).
void copy_memory(int32_t pid, uint64_t lo, uint64_t hi, StackCopy& out);

// CopyRange is one range [lo, hi) of a process to copy into *out.
struct CopyRange {
  uint64_t lo = 0, hi = 0;
  StackCopy* out = nullptr;
};

// copy_ranges() copies every range of pid as copy_memory() does, but IOV_MAX ranges per
// process_vm_readv: a hundred thousand goroutine stacks in a hundred calls, not one each. A range
// a batch did not read whole (unmapped meanwhile) is copied again alone, page by page.
void copy_ranges(int32_t pid, const std::vector<CopyRange>& ranges);

// syscall_name() names an x86-64 system call number ("futex"), or "syscall_N".
std::string syscall_name(long nr);

}  // namespace ts::stack
