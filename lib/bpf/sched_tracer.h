// sched_tracer.h: SchedTracer, the kernel side of `trace sched`: every context switch streamed,
// or per-thread counts and histograms aggregated in kernel maps.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "bpf/trace_stream.h"
#include "model/event.h"

namespace ts::bpf {

// SchedMode picks how switches reach user space.
enum class SchedMode {
  Stream,   // one SwitchEvent per switch through the ring buffer
  Summary,  // counted in the kernel; read with summary()
};

// SchedTracer traces context switches (sched_switch; in Summary mode also sched_wakeup and
// sched_wakeup_new for run-queue latency) from construction to destruction.
class SchedTracer {
 public:
  // SchedTracer() loads and attaches the programs. Throws ts::Error (one line) when it cannot.
  SchedTracer(const TraceFilter& filter, SchedMode mode);
  ~SchedTracer();
  SchedTracer(const SchedTracer&) = delete;
  SchedTracer& operator=(const SchedTracer&) = delete;

  // attach_kind() is the program type that loaded (tp_btf, or the raw_tp fallback).
  AttachKind attach_kind() const;
  // drain() waits up to `timeout_ms`, then hands every waiting SwitchEvent to `sink` (Stream mode;
  // in Summary mode it only waits).
  size_t drain(int timeout_ms, const EventSink& sink);
  // summary() reads the per-thread statistics gathered so far (Summary mode), sorted by tid.
  std::vector<ThreadSchedStats> summary() const;
  // lost() counts switches (or wakeups) not recorded: ring buffer full (Stream), thread map full,
  // or task-local storage unavailable (busy on this CPU, or no memory) (Summary).
  uint64_t lost() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ts::bpf
