// events_pane.h: EventLog, the recent clone/exec/exit events top shows in its events pane (e) and in
// the detail view, each as one line with the clone's verdict (thread, process, vfork, namespaces).
// A task that lived less than one refresh still has its lines here. Bounded: the oldest go first.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "view/frame.h"
#include "view/screen.h"

namespace ts::view {

// EventLine is one event as the pane shows it.
struct EventLine {
  uint64_t ts_ns = 0;         // CLOCK_MONOTONIC
  int32_t pid = 0;            // the process the event belongs to (a clone: the creator)
  int32_t child_pid = 0;      // a clone: the new task's process (0 otherwise)
  std::string kind;           // "clone", "exec", "exit"
  std::string text;           // what happened, untrusted names included (escaped when drawn)
};

// EventLog keeps the newest events of the frames it is given.
class EventLog {
 public:
  // EventLog() keeps up to `capacity` events.
  explicit EventLog(size_t capacity = 2000) : cap_(capacity) {}
  // add() takes the frame's clone, exec and exit events (switches are not shown) and its counts.
  void add(const Frame& f);
  // lines() is every kept event, oldest first.
  const std::deque<EventLine>& lines() const { return lines_; }
  // of() is the kept events of process `pid` (as creator, child or subject), oldest first.
  std::vector<const EventLine*> of(int32_t pid) const;
  uint64_t lost() const { return lost_; }   // events the kernel dropped (ring full)
  bool on() const { return on_; }           // the tracers run
  bool starting() const { return starting_; }  // the tracers are still loading
  uint64_t seen() const { return seen_; }   // events taken since start

 private:
  size_t cap_;
  uint64_t last_seq_ = 0, lost_ = 0, seen_ = 0;
  bool on_ = false, starting_ = false;
  std::deque<EventLine> lines_;
};

// event_line() turns one event into its line; false for events the pane does not show (switches).
bool event_line(const Event& e, EventLine& out);

// events_pane_lines() is the events pane: a title line with the counts, then the events, newest
// first, as "TIME  EVENT  PID  TEXT" lines, `wall_offset_ns` turning monotonic times into wall-clock.
// With a `filter` (top's \\ filter) only the events whose text contains it (ignoring case).
std::vector<Line> events_pane_lines(const EventLog& log, uint64_t wall_offset_ns, bool utf8,
                                   std::string_view filter = {});

// event_text_line() is one event's line as the panes show it.
Line event_text_line(const EventLine& e, uint64_t wall_offset_ns, bool utf8);

}  // namespace ts::view
