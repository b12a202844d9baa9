// gmp.h: GoroSnapshot, a process's G/M/P scheduler state (its Ps, Ms and Gs) at one instant.
// Plain data with two sources: lib/goro fills it from the segment a goro runtime publishes, lib/gort
// from an unmodified Go program's memory (its runtime's allgs/allm/allp); views print it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ts {

// GState is a goroutine's status, with Go's meaning (runtime2.go _Gidle .. _Gdead).
enum class GState : uint8_t { Idle, Runnable, Running, Syscall, Waiting, Dead };

// WaitReason says why a Waiting G waits, as Go's waitReason values.
enum class WaitReason : uint8_t {
  None, ChanRecv, ChanSend, ChanRecvNil, ChanSendNil, Select, SelectNoCases, Sleep, IO, Mutex, Cond,
  WaitGroup, Preempted, Timer
};

// PStatus is a P's status, as Go's _Pidle, _Prunning, _Psyscall, _Pdead.
enum class PStatus : uint8_t { Idle, Running, Syscall, Dead };

// gstate_name() returns Go's name for a state: "idle", "runnable", "running", "syscall", "waiting", "dead".
const char* gstate_name(GState s);
// wait_reason_name() returns Go's waitReason string ("chan receive", "sleep", "IO wait", ...); "" for None.
const char* wait_reason_name(WaitReason r);
// pstatus_name() returns "idle", "running", "syscall" or "dead".
const char* pstatus_name(PStatus s);

// GoroP is one P (logical processor). Counters only grow while the process lives.
struct GoroP {
  uint32_t id = 0;             // 0 .. p_count-1
  PStatus status = PStatus::Idle;
  int32_t m_id = -1;           // owning M, -1 none
  uint32_t runq_len = 0;       // Gs in its local run queue, runnext included
  uint64_t runnext_goid = 0;   // G in runnext, 0 none
  uint64_t schedtick = 0;      // scheduler calls
  uint64_t syscalltick = 0;    // syscalls entered
  uint64_t switches = 0;       // G switches done on this P
  uint64_t gs_created = 0;     // Gs created by Gs running on it
  uint64_t steals = 0;         // successful steals by Ms holding it
};

// GoroM is one M: a kernel thread running Gs.
struct GoroM {
  uint32_t id = 0;
  int32_t tid = 0;             // kernel thread id (an LWP of the process)
  bool tid_alive = true;       // tid was found in /proc/PID/task (true when not checked)
  int32_t p_id = -1;           // held P, -1 none
  bool spinning = false;       // looking for work
  bool in_syscall = false;     // its G is in a blocking system call
  bool parked = false;         // asleep on its futex
  bool sysmon = false;         // sysmon's thread: never runs Gs nor holds a P (counted in threads=, as Go's)
  uint64_t cur_goid = 0;       // G it runs, 0 when on the scheduler
};

// GoroG is one goroutine. Addresses are in the target's address space; sp/pc/fp are 0 while it runs.
struct GoroG {
  uint64_t goid = 0;           // 1..
  GState state = GState::Idle;
  WaitReason wait_reason = WaitReason::None;  // meaningful when state is Waiting
  std::string wait_text;       // the source's own wording when it has one (a Go program's waitReason
                               // string: "semacquire", "GC sweep wait"); empty: wait_reason's name
  uint64_t wait_since_ns = 0;  // CLOCK_MONOTONIC when it parked, 0 when not waiting
  uint64_t wait_ns = 0;        // how long it has waited when the snapshot was taken
  uint64_t run_since_ns = 0;   // CLOCK_MONOTONIC when it last got a P to run on
  uint64_t run_ns = 0;         // a running G: how long it has held its P when the snapshot was taken
  uint64_t parent_goid = 0;    // G that created it, 0 for the main G
  int32_t m_id = -1;           // M running it, -1 none
  uint64_t create_pc = 0;      // return address in the caller of goro::go (creation site)
  uint64_t start_pc = 0;       // entry of its function
  uint64_t stack_lo = 0, stack_hi = 0;  // usable stack [lo, hi)
  uint64_t sp = 0, pc = 0, fp = 0;      // saved registers while not running
  bool long_running = false;   // running, and sysmon saw it hold its P > 10 ms without yielding (a hog)
  bool main = false;           // the function given to goro::run
  bool system = false;         // a runtime-internal G
  std::string function;        // its function's name when the source named it (a recording does:
                               // the process may be gone when replayed); empty: name start_pc
};

// GCount is how many Gs are in one state (Waiting: for one reason).
struct GCount {
  GState state = GState::Idle;
  WaitReason wait_reason = WaitReason::None;
  uint64_t n = 0;

  bool operator==(const GCount&) const = default;
};

// g_wait_text() is what a G waits for, as its runtime would print it: wait_text when the source
// gave one, else wait_reason_name(wait_reason); "" when it is not Waiting.
std::string g_wait_text(const GoroG& g);

// GoroSnapshot is one consistent-per-record read of a goro process's published state.
struct GoroSnapshot {
  int32_t pid = 0;
  std::string runtime;          // which runtime published it: "goro", or a Go program's "go1.19.8"
  uint64_t taken_ns = 0;        // CLOCK_MONOTONIC when the read began
  uint64_t start_unix_ns = 0;   // when goro::run started (wall clock)
  uint32_t gomaxprocs = 0;      // live Ps
  uint32_t stack_size = 0;      // default G stack size, bytes
  uint32_t guard_kind = 0;      // 0 none, 1 mprotect, 2 MADV_GUARD_INSTALL
  uint64_t arena_lo = 0, arena_hi = 0;  // the G stack arena [lo, hi); 0 when the runtime does not say
  uint64_t slot_size = 0;       // bytes per arena slot (guard + stack + G struct)
  uint64_t guard_size = 0;      // guard bytes at the bottom of each slot
  uint64_t sysmon_ticks = 0;
  uint64_t global_runq_len = 0; // Gs in the global run queue
  uint32_t g_slots = 0;         // G slots scanned (the high-water mark)
  uint32_t torn = 0;            // records skipped because a writer kept changing them
  std::vector<GoroP> ps;        // by id
  std::vector<GoroM> ms;        // by slot
  std::vector<GoroG> gs;        // live slots (goid != 0), by slot; a recorded snapshot keeps only some
  std::vector<GCount> g_counts; // a recorded snapshot's Gs by state and wait reason (its gs holds only
                                // the Gs its Ms run and the longest waiting); empty: gs holds every G

  // find_g() returns the G with this goid, or nullptr.
  const GoroG* find_g(uint64_t goid) const;
};

// count_gs() is `g`'s Gs by state and wait reason (Idle and Dead slots included), ordered by state
// then reason: its g_counts when it has them (a recorded snapshot), else counted over its gs.
std::vector<GCount> count_gs(const GoroSnapshot& g);

// g_total() is how many Gs `g` has (live slots: every state), counted or recorded.
uint64_t g_total(const GoroSnapshot& g);

}  // namespace ts
