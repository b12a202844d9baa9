// event_totals.cpp: the events' running totals.
#include "export/event_totals.h"

#include "format/clone_flags.h"

namespace ts::exporter {

std::string verdict_label(uint64_t flags, bool kernel_thread) {
  const std::string v = clone_verdict(flags, kernel_thread);
  if (v == "process in new namespaces") return "namespaces";
  if (v == "process sharing memory") return "shared_memory";
  if (v == "kernel thread") return "kernel_thread";
  return v;  // "thread", "process", "vfork"
}

EventTotals::EventTotals() {
  for (const char* v : {"thread", "process", "vfork", "namespaces", "shared_memory", "kernel_thread"}) clones[v] = 0;
}

void EventTotals::fold(const view::Frame& f) {
  for (const Event& e : f.events) {
    if (const auto* c = std::get_if<CloneEvent>(&e)) {
      ++clones[verdict_label(c->flags, c->kernel_thread)];
    } else if (std::holds_alternative<ExecEvent>(e)) {
      ++execs;
    } else if (const auto* x = std::get_if<ExitEvent>(&e)) {
      ++exits;
      if (x->group_dead) ++process_exits;
    }
  }
}

}  // namespace ts::exporter
