// proc_tracer.h: ProcTracer, the kernel side of `trace clone|exec|exit` loaded and attached.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "bpf/event_tracer.h"
#include "bpf/trace_stream.h"

namespace ts::bpf {

// ProcEvents says which process lifecycle events to trace.
struct ProcEvents {
  bool clone = false;  // task_newtask: every new task, in its parent
  bool exec = false;   // sched_process_exec
  bool exit = false;   // sched_process_exit: every exiting thread
};

// ProcTracer traces clone/exec/exit from construction to destruction. Records wait in a ring
// buffer until drain() reads them (EventTracer).
class ProcTracer final : public EventTracer {
 public:
  // ProcTracer() loads and attaches the programs for `events`, filtered by `filter`. Requires the
  // privileges probe_support() checks. Throws ts::Error (one line) when it cannot.
  ProcTracer(const TraceFilter& filter, ProcEvents events);
  ~ProcTracer() override;
  ProcTracer(const ProcTracer&) = delete;
  ProcTracer& operator=(const ProcTracer&) = delete;

  // fd() is readable when the kernel woke the reader (EventTracer::fd()).
  int fd() const override;
  // costs() is what each loaded program has cost so far (zero unless bpf_stats are enabled).
  std::vector<ProgramCost> costs() const override;
  // attach_kind() is the program type that loaded (tp_btf, or the raw_tp fallback).
  AttachKind attach_kind() const override;
  // drain() waits up to `timeout_ms` (0: not at all), then hands the waiting events to `sink`
  // until none is left or `budget` is spent (RingReader::drain()).
  size_t drain(int timeout_ms, const EventSink& sink, const DrainBudget& budget = {}) override;
  // detach() stops the programs: no new event enters the ring once it returns (but for one a
  // program on another CPU is writing). drain() still reads what is there.
  void detach() override;
  // discard() drops the events left in the ring unread and returns how many (after detach()).
  uint64_t discard() override;
  // lost() counts events dropped because the ring buffer was full.
  uint64_t lost() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ts::bpf
