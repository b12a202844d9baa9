// dump.h: a process's stacks as `taskscope stack` shows them: every LWP's frames (captured
// quickly, unwound and symbolized after the target runs again) and every goro G's.
// take_dump() is the whole job; print_dump_text()/print_dump_json() (format.h) print its result.
// taskscope top calls the same take_dump() for its stack view.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dwarf/symbolizer.h"
#include "model/gmp.h"

namespace ts::stack {

// Frame is one line of a stack: a physical frame, or one inlined call inside it (gdb and Go
// both show an inlined call as its own line, innermost first, all at the physical frame's pc).
struct Frame {
  uint64_t pc = 0;             // the frame's pc (a return address for callers)
  std::string function;        // demangled; "" when no symbol covers pc
  std::string file;            // source file from DWARF, "" without debug information
  int line = 0;
  bool inlined = false;        // an inlined call: shares pc with the physical frame below it
  bool caller_of_inline = false;  // the physical function an inlined call (the line above) sits in
  std::string module;          // base name of the mapped ELF file ("libc.so.6")
  std::string module_path;     // its path in the target's mount namespace
  uint64_t offset = 0;         // pc - function start (pc - module start without a symbol)
  uint64_t module_addr = 0;    // pc as an address in the module's ELF file (for eu-addr2line)
  std::string build_id;        // the module's build-id in hex
};

// Capture says how a thread's registers and stack were taken.
enum class Capture : uint8_t {
  NoStop,    // blocked in a system call: /proc/PID/task/TID/syscall and a copy, never stopped
  Stopped,   // PTRACE_SEIZE + PTRACE_INTERRUPT, registers and a copy, then detached
  Frozen,    // already stopped (job control): read while it stayed stopped
  None,      // not captured (zombie, exited, a kernel thread): see note
};

// capture_name() is "nostop", "stopped", "frozen" or "none".
const char* capture_name(Capture c);

// ThreadStack is one LWP.
struct ThreadStack {
  int32_t tid = 0;
  int number = 0;              // gdb's thread number: 1 for the leader, then in order of tid
  std::string name;            // comm, as the kernel has it (untrusted bytes)
  char state = '?';            // /proc state letter read before anything was stopped (R, S, D, T, Z...)
  long syscall_nr = -1;        // the system call it was blocked in, -1 none (read before any stop)
  std::string syscall;         // its name ("futex"), "" none
  bool syscall_restarted = false;  // resumed by the kernel after a stop (re-entered as restart_syscall)
  Capture capture = Capture::None;
  uint64_t stopped_ns = 0;     // how long this thread was held stopped by us (0 when never)
  bool unwind_complete = false;  // the unwind reached the outermost frame (not cut by an error)
  std::vector<Frame> frames;   // innermost first
  std::vector<std::string> kernel;  // /proc/PID/task/TID/stack lines (--kernel)
  std::string note;            // why frames are missing or short, "" when none
  int32_t goro_m = -1;         // the goro M this LWP is, -1 none
  uint64_t goro_g = 0;         // the goroutine that M runs, 0 none
};

// GStack is one goroutine of a goro process or a Go program.
struct GStack {
  GoroG g;                     // its published record
  std::vector<Frame> frames;   // unwound from its saved sp/pc/fp; empty when running
  std::vector<Frame> created_by;  // the inline chain at its creation site (innermost first)
  dwarf::Site created_by_go;   // a Go G's creation site (g.gopc) as Go prints it (go_created_by())
  int32_t tid = 0;             // the LWP it runs on (running or in a syscall), 0 none
  int thread_number = 0;       // that LWP's gdb number
  std::string note;            // why frames are missing, "" when none
};

// go_runtime() tells whether a snapshot's runtime names a Go program ("go1.19.8", "go"), not goro.
inline bool go_runtime(const std::string& runtime) { return runtime.starts_with("go") && runtime != "goro"; }

// Options chooses what take_dump() captures and resolves.
struct Options {
  std::vector<int32_t> tids;   // only these LWPs (empty: all); they must belong to the pid
  bool inlines = true;         // inlined calls as their own frames
  bool source = true;          // file:line from DWARF
  bool kernel = false;         // read /proc/PID/task/TID/stack
  bool consistent = false;     // stop every thread at once (one instant), not one at a time
  bool goroutines = true;      // dump a goro process's Gs
  size_t max_frames = 1024;    // per thread or G
};

// Dump is everything take_dump() found.
struct Dump {
  int32_t pid = 0;
  std::string name;            // the process's comm
  char state = '?';            // the leader's state letter before the dump
  bool job_stopped = false;    // the process was stopped by job control (and was left so)
  bool kernel_thread = false;  // pid is a kernel thread: no user stack, only its kernel stack
  std::vector<ThreadStack> threads;  // by gdb number, highest first (gdb's order)
  bool goro = false;           // Gs were read: a goro segment, or a Go program's runtime
  std::string runtime;         // whose Gs: "goro", a Go version ("go1.19.8"), "" none
  std::vector<GStack> gs;      // by goid
  std::vector<std::string> notes;  // things the user should know (threads that exited mid-dump...)
  uint64_t longest_stop_ns = 0;    // the longest time any thread was held stopped by us
  int32_t longest_stop_tid = 0;    // which (0 when nothing was stopped)
  uint64_t capture_ns = 0;     // from the first stop or copy to the last detach
  uint64_t total_ns = 0;       // the whole take_dump()
};

// take_dump() dumps pid's stacks. Throws ts::Error (status 1) when the pid does not exist, when
// ptrace is not permitted (ptrace_denied(): what the kernel said, and why where known), or when the
// pid is a zombie with nothing left to show. A kernel thread gives a dump with its kernel stack,
// kernel_thread set and notes[0] saying so.
// Never leaves a thread stopped: threads are seized (no SIGSTOP), and a killed caller's tracees
// run on; a job-control-stopped process stays stopped.
Dump take_dump(int32_t pid, const Options& opt);

}  // namespace ts::stack
