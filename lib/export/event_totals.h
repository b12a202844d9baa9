// event_totals.h: EventTotals, the machine-wide clone/exec/exit counts since export began, folded
// from each Frame's events (a Frame holds only its interval's), so the counters never go down.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "view/frame.h"

namespace ts::exporter {

// EventTotals counts the BPF events of every frame folded into it.
struct EventTotals {
  std::map<std::string, uint64_t> clones;  // verdict label -> clones (every verdict present, from 0)
  uint64_t execs = 0;
  uint64_t exits = 0;          // tasks that exited (threads and processes)
  uint64_t process_exits = 0;  // of those, the last of their process (group_dead)

  // EventTotals() starts every verdict of verdict_label() at 0, so the series exist from the start.
  EventTotals();
  // fold() adds `f`'s events. Fold every frame once, in order.
  void fold(const view::Frame& f);
};

// verdict_label() turns clone_verdict()'s words into a label value: "thread", "process", "vfork",
// "namespaces" (a process in new namespaces), "shared_memory" (CLONE_VM without CLONE_THREAD),
// "kernel_thread".
std::string verdict_label(uint64_t flags, bool kernel_thread);

}  // namespace ts::exporter
