// trace_stream.h: what the trace tracers share: the filter, the choice of attach type, and the
// ring buffer reader that turns records into Events.
#pragma once
#include <csignal>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/event.h"

struct ring_buffer;
struct ts_switch_rec;

namespace ts::bpf {

// TraceFilter selects the tasks to trace; an empty field selects all.
struct TraceFilter {
  int32_t pid = 0;   // a process (tgid); clone/exec/exit also follow the children it creates
  int32_t tid = 0;   // one thread
  std::string comm;  // a task name, exact, at most 15 bytes
};

// AttachKind is how a tracer's programs are attached: tp_btf/ (BTF-typed tracepoints, kernel
// 5.5+) or raw_tp/ (the fallback for kernels where tp_btf does not load).
enum class AttachKind { TpBtf, RawTp };

// attach_kind_name() is "tp_btf" or "raw_tp".
const char* attach_kind_name(AttachKind k);

// attach_kinds_to_try() is {TpBtf, RawTp}, or just one of them when TASKSCOPE_TRACE_ATTACH is set
// to "tp_btf" or "raw_tp" (to test the fallback).
std::vector<AttachKind> attach_kinds_to_try();

// ProgramCost is what one attached program has cost in the kernel so far, from the kernel's
// run-time statistics: runs and run_ns stay 0 unless they are enabled (sysctl
// kernel.bpf_stats_enabled=1, or bpf_enable_stats(); enabling them adds a clock read per run).
struct ProgramCost {
  std::string name;  // the program's name, e.g. "btf_switch"
  uint64_t runs = 0;
  uint64_t run_ns = 0;
  uint64_t misses = 0;  // runs the kernel skipped because the program was already running on that CPU (always counted)
};

// EventSink receives each decoded event, in ring buffer order (per CPU order, not global).
using EventSink = std::function<void(const Event&)>;

// DrainBudget bounds one drain: it stops consuming (what is left stays in the ring for the next
// drain) once CLOCK_MONOTONIC passes `until_ns` (0: no time bound) or `*stop` is set (null: never),
// checked every kBudgetStride records. A producer faster than the reader would otherwise keep a
// drain going forever.
struct DrainBudget {
  uint64_t until_ns = 0;
  const volatile std::sig_atomic_t* stop = nullptr;
};

// kBudgetStride is how many records a drain reads between two looks at its budget.
constexpr unsigned kBudgetStride = 64;

// SwitchThreads follows the threads of a stream of switch records (bpf/trace_sched.h) to complete
// each SwitchEvent with what one record cannot say: whether prev's switch was voluntary (from the
// counter the scheduler raised since the thread's previous record) and how long next was off CPU
// (since its previous switch out). A thread is forgotten at its last switch (into TASK_DEAD), so
// the table holds live threads only.
class SwitchThreads {
 public:
  // complete() amends `e`, decoded from `r`, and remembers prev's switch out.
  void complete(const ts_switch_rec& r, SwitchEvent& e);
  // size() is the number of threads remembered.
  size_t size() const { return threads_.size(); }

 private:
  struct Seen {
    uint64_t out_ns = 0;  // when it last left the CPU (run queue clock)
    uint32_t nvcsw = 0, nivcsw = 0;
  };
  std::unordered_map<uint32_t, Seen> threads_;
};

// decode_record() turns one ring buffer record (bpf/trace_proc.h, bpf/trace_sched.h) into an
// Event and hands it to `sink`; switch records are completed by `threads` when given. Returns
// false, and calls nothing, for a record that is too short or of an unknown kind.
bool decode_record(const void* data, size_t size, const EventSink& sink, SwitchThreads* threads = nullptr);

// RingReader drains a BPF ring buffer map. Producers submit without waking it (BPF_RB_NO_WAKEUP)
// except when the ring is half full, so drain() is called on a timer. Switch records are completed
// with a SwitchThreads of its own: one reader must see all of a tracer's records.
class RingReader {
 public:
  // RingReader() attaches to the ring buffer map `map_fd`. Throws ts::Error on failure.
  explicit RingReader(int map_fd);
  ~RingReader();
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;

  // drain() waits up to `timeout_ms` for an early wakeup (not when the budget is already spent),
  // then consumes the records there are, handing each to `sink`, until the ring is empty or
  // `budget` is spent; returns how many records were read. An exception thrown by `sink` stops
  // the drain and is rethrown here.
  size_t drain(int timeout_ms, const EventSink& sink, const DrainBudget& budget = {});

  // discard() drops every record left in the ring without decoding it and returns how many.
  // Bounded once the producers are detached: the ring holds at most its size.
  uint64_t discard();

  // epoll_fd() is libbpf's epoll descriptor over the ring (ring_buffer__epoll_fd): readable when
  // the kernel woke the reader.
  int epoll_fd() const;

  // undecodable() counts records that were too short or of an unknown kind.
  uint64_t undecodable() const { return undecodable_; }

 private:
  static int on_record(void* ctx, void* data, size_t size);
  // spent() tells whether the budget of the drain under way is spent (and remembers it).
  bool spent();

  ring_buffer* rb_ = nullptr;
  const EventSink* sink_ = nullptr;  // valid during drain() only (borrowed); null: discard
  DrainBudget budget_;               // of the drain under way
  bool spent_ = false;               // the drain under way stopped on its budget
  size_t seen_ = 0;
  uint64_t undecodable_ = 0;
  SwitchThreads threads_;
  std::exception_ptr error_;
};

}  // namespace ts::bpf
