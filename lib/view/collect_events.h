// collect_events.h: EventGather, the collector's side of the clone/exec/exit tracer: it drains the
// tracer (bounded in time), keeps the newest events up to a cap, counts the clones by verdict, and
// hands over what came since the last frame.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_set>
#include <vector>

#include "bpf/event_tracer.h"
#include "model/event.h"

namespace ts::view {

// kMaxChildren bounds how many children of the processes asked for are followed at once.
constexpr size_t kMaxChildren = 65536;

// kMaxFrameEvents is how many events one frame holds at most: the newest are kept and the older
// ones counted as lost (the events pane shows a screenful; the counts below include them all).
constexpr size_t kMaxFrameEvents = 4096;

// EventBatch is what came since the previous take(), oldest first.
struct EventBatch {
  std::vector<Event> events;  // at most the cap given to EventGather, the newest
  uint64_t processes = 0;     // clones that made a process (fork, vfork, new namespaces, kernel thread)
  uint64_t threads = 0;       // clones that made a thread (CLONE_THREAD)
  uint64_t dropped = 0;       // events not kept because of the cap
};

// keep_newest() appends `more` (later events) to `into`, keeping at most `cap` of the newest;
// returns how many it dropped.
uint64_t keep_newest(std::vector<Event>& into, std::vector<Event>&& more, size_t cap);

// EventGather reads one tracer for the collector. Not thread-safe: the collector thread alone.
class EventGather {
 public:
  // EventGather() reads `tracer` (null: no events, on() is false), keeping the events of the
  // processes in `pids` and of the children they create from then on, as `trace -p` follows them
  // (empty: every process).
  EventGather(std::unique_ptr<bpf::EventTracer> tracer, std::vector<int32_t> pids, size_t cap = kMaxFrameEvents);

  // on() tells whether a tracer runs.
  bool on() const { return tracer_ != nullptr; }
  // fd() is the tracer's descriptor (bpf::EventTracer::fd()), -1 when off.
  int fd() const;
  // gather() reads what waits in the tracer for at most `budget_ns` of CLOCK_MONOTONIC; returns
  // how many events it read (kept or not).
  size_t gather(uint64_t budget_ns);
  // take() returns what was gathered since the previous take() and starts anew.
  EventBatch take();
  // lost() counts events lost since the start: the tracer's (its ring was full) and those the cap
  // dropped.
  uint64_t lost() const;

 private:
  void add(const Event& e);
  // wanted() tells whether `e` is about a followed process, and follows the children they make.
  bool wanted(const Event& e);

  std::unique_ptr<bpf::EventTracer> tracer_;
  std::vector<int32_t> pids_;  // sorted: the processes asked for
  std::unordered_set<int32_t> children_;  // processes they created since, until they end
  size_t cap_;
  std::vector<Event> ring_;    // at most cap_; once full, next_ is the oldest
  size_t next_ = 0;
  EventBatch counts_;          // processes, threads, dropped of the batch under way
  uint64_t dropped_total_ = 0;
};

}  // namespace ts::view
