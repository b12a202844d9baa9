// sched_tracer.h: SchedTracer, the kernel side of `trace sched`: every context switch streamed,
// or per-thread counts and histograms aggregated in kernel maps.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "bpf/event_tracer.h"
#include "bpf/trace_stream.h"
#include "model/event.h"

namespace ts::bpf {

// SchedMode picks how switches reach user space.
enum class SchedMode {
  Stream,   // one SwitchEvent per switch through the ring buffer
  Summary,  // counted in the kernel; read with summary()
};

// SchedTracer traces context switches (sched_switch alone: times come from the scheduler's own
// sched_info stamps) from construction to destruction. An EventTracer: in Summary mode its ring
// carries only the statistics of threads that exit, which drain() and summary() collect.
class SchedTracer final : public EventTracer {
 public:
  // SchedTracer() loads and attaches the programs. Throws ts::Error (one line) when it cannot.
  // summary_slots (a power of two up to TS_HOT_SLOTS, 4096) is how many threads the tp_btf summary
  // can keep in its array slots, the rest in task storage; fewer only to test that path.
  SchedTracer(const TraceFilter& filter, SchedMode mode, uint32_t summary_slots = 4096);
  ~SchedTracer() override;
  SchedTracer(const SchedTracer&) = delete;
  SchedTracer& operator=(const SchedTracer&) = delete;

  // fd(), attach_kind() and costs() do what EventTracer says, in either mode.
  int fd() const override;
  AttachKind attach_kind() const override;
  std::vector<ProgramCost> costs() const override;
  // drain() waits up to `timeout_ms`, then hands the waiting SwitchEvents to `sink` until none is
  // left or `budget` is spent (Stream mode, RingReader::drain()); in Summary mode it collects the
  // statistics of threads that exited, and returns 0.
  size_t drain(int timeout_ms, const EventSink& sink, const DrainBudget& budget = {}) override;
  // detach() stops the programs: nothing new is recorded once it returns (but for one switch a
  // program on another CPU is recording). drain() and summary() still read what is there.
  void detach() override;
  // discard() drops the switch events left in the ring unread (Stream mode) and returns how many.
  uint64_t discard() override;
  // summary() reads the per-thread statistics gathered so far (Summary mode; empty in Stream
  // mode), sorted by tid: the threads alive and those that exited while traced. A thread's stint
  // on a CPU in progress when it is read (switched in, not out yet) counts as its switch in would
  // have: read after detach() for a fixed end (a stint that began since then counts too).
  std::vector<ThreadSchedStats> summary();
  // lost() counts switches not recorded: ring buffer full (Stream, or an exited thread's
  // statistics in Summary), or no room for a thread in the summary's map.
  uint64_t lost() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ts::bpf
