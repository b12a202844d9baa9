// collect_events.cpp: draining the event tracer into a bounded ring of the newest events.
#include "view/collect_events.h"

#include <algorithm>
#include <iterator>
#include <utility>
#include <variant>

#include "format/clone_flags.h"
#include "sys/clock.h"

namespace ts::view {

uint64_t keep_newest(std::vector<Event>& into, std::vector<Event>&& more, size_t cap) {
  const size_t total = into.size() + more.size();
  if (total <= cap) {
    into.insert(into.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    return 0;
  }
  const size_t drop = total - cap;
  if (drop >= into.size()) {
    into.assign(std::make_move_iterator(more.begin() + static_cast<std::ptrdiff_t>(drop - into.size())),
                std::make_move_iterator(more.end()));
  } else {
    into.erase(into.begin(), into.begin() + static_cast<std::ptrdiff_t>(drop));
    into.insert(into.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  return drop;
}

EventGather::EventGather(std::unique_ptr<bpf::EventTracer> tracer, std::vector<int32_t> pids, size_t cap)
    : tracer_(std::move(tracer)), pids_(std::move(pids)), cap_(std::max<size_t>(cap, 1)) {
  std::sort(pids_.begin(), pids_.end());
}

int EventGather::fd() const { return tracer_ ? tracer_->fd() : -1; }

bool EventGather::wanted(const Event& e) {
  if (pids_.empty()) return true;
  const auto in = [&](int32_t pid) {
    return std::binary_search(pids_.begin(), pids_.end(), pid) || children_.count(pid) > 0;
  };
  if (const auto* c = std::get_if<CloneEvent>(&e)) {
    if (!in(c->parent_pid)) return in(c->child_pid);
    if (c->child_pid != c->parent_pid && children_.size() < kMaxChildren) children_.insert(c->child_pid);
    return true;
  }
  if (const auto* x = std::get_if<ExitEvent>(&e)) {
    const bool yes = in(x->pid);
    if (x->group_dead) children_.erase(x->pid);
    return yes;
  }
  if (const auto* x = std::get_if<ExecEvent>(&e)) return in(x->pid);
  const auto& s = std::get<SwitchEvent>(e);
  return in(s.prev_pid) || in(s.next_pid);
}

void EventGather::add(const Event& e) {
  if (!wanted(e)) return;
  if (const auto* c = std::get_if<CloneEvent>(&e)) {
    if (clone_verdict(c->flags, c->kernel_thread) == "thread") ++counts_.threads;
    else ++counts_.processes;
  }
  if (ring_.size() < cap_) {
    ring_.push_back(e);
    return;
  }
  ring_[next_] = e;  // overwrite the oldest
  next_ = (next_ + 1) % cap_;
  ++counts_.dropped;
  ++dropped_total_;
}

size_t EventGather::gather(uint64_t budget_ns) {
  if (!tracer_) return 0;
  const bpf::EventSink sink = [this](const Event& e) { add(e); };
  return tracer_->drain(0, sink, {sys::monotonic_ns() + budget_ns, nullptr});
}

EventBatch EventGather::take() {
  EventBatch b = std::exchange(counts_, EventBatch{});
  std::rotate(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(next_), ring_.end());
  b.events = std::move(ring_);
  ring_ = {};
  next_ = 0;
  return b;
}

uint64_t EventGather::lost() const { return (tracer_ ? tracer_->lost() : 0) + dropped_total_; }

}  // namespace ts::view
