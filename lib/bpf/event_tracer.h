// event_tracer.h: EventTracer, what every BPF event tracer gives its reader (the clone/exec/exit
// tracer, the context switch tracer): a file descriptor to wait on beside others, a bounded drain
// of the waiting events, the count of those lost, and a clean end. `trace` and `top` read events
// through it and nothing else.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "bpf/trace_stream.h"

namespace ts::bpf {

// EventTracer is a loaded and attached tracer whose records wait in a ring buffer until drained.
// Not thread-safe: one reader.
class EventTracer {
 public:
  virtual ~EventTracer() = default;

  // fd() is a descriptor that polls readable (POLLIN) when the kernel woke the reader (libbpf's
  // ring_buffer__epoll_fd). Producers do not wake the reader per event, only once the ring is half
  // full, so a reader waits on fd() to drain early under a burst and drains on a timer otherwise.
  // Owned by the tracer: never close it.
  virtual int fd() const = 0;
  // drain() waits up to `timeout_ms` (0: not at all) for a wakeup, then hands the waiting events
  // to `sink` in ring order until none is left or `budget` is spent (what is left stays for the
  // next drain); returns how many it read. An exception from `sink` stops it and is rethrown.
  virtual size_t drain(int timeout_ms, const EventSink& sink, const DrainBudget& budget = {}) = 0;
  // lost() counts events the kernel side could not record (the ring buffer was full), since the
  // tracer started.
  virtual uint64_t lost() const = 0;
  // detach() stops the programs: no new event is recorded once it returns (but for one a program
  // on another CPU is writing). drain() still reads what is there.
  virtual void detach() = 0;
  // discard() drops the events left in the ring unread and returns how many (bounded after
  // detach(): the ring holds at most its size).
  virtual uint64_t discard() = 0;
  // attach_kind() is the program type that loaded (tp_btf, or the raw_tp fallback).
  virtual AttachKind attach_kind() const = 0;
  // costs() is what each loaded program has cost so far (zero unless bpf_stats are enabled).
  virtual std::vector<ProgramCost> costs() const = 0;
};

}  // namespace ts::bpf
