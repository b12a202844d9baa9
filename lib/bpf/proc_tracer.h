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

  // fd(), drain(), lost(), detach(), discard(), attach_kind() and costs() do what EventTracer
  // says; lost() counts the events dropped because the ring buffer was full.
  int fd() const override;
  size_t drain(int timeout_ms, const EventSink& sink, const DrainBudget& budget = {}) override;
  uint64_t lost() const override;
  void detach() override;
  uint64_t discard() override;
  AttachKind attach_kind() const override;
  std::vector<ProgramCost> costs() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ts::bpf
