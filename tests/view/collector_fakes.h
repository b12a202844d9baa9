// collector_fakes.h: a scripted Source and a scripted EventTracer, so that collector tests know
// exactly what each pass saw; and builders for tasks and snapshots. Header-only.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bpf/event_tracer.h"
#include "model/error.h"
#include "model/source.h"

namespace ts::test {

// make_task() is a task of process `tgid` with the counters a rate is computed from.
inline Task make_task(int32_t tgid, int32_t tid, uint64_t cpu_ns = 0, uint64_t nvcsw = 0, uint64_t nivcsw = 0,
                      uint64_t run_delay_ns = 0, uint64_t start_ns = 1000) {
  Task t;
  t.tgid = tgid;
  t.tid = tid;
  t.comm = "t" + std::to_string(tid);
  t.state = 'S';
  t.utime_ns = cpu_ns;
  t.start_ns = start_ns + static_cast<uint64_t>(tid);
  t.nvcsw = nvcsw;
  t.nivcsw = nivcsw;
  t.run_delay_ns = run_delay_ns;
  return t;
}

// make_process() is a process holding `tasks`, sorted as sources sort them.
inline Process make_process(int32_t pid, std::vector<Task> tasks) {
  Process p;
  p.pid = pid;
  p.comm = "p" + std::to_string(pid);
  p.cmdline = "/bin/p" + std::to_string(pid) + " --flag";
  p.nlwp = static_cast<int32_t>(tasks.size());
  p.tasks = std::move(tasks);
  p.sort_tasks();
  return p;
}

// make_snapshot() is a snapshot taken at `taken_s` seconds, with the fields a BPF source fills.
inline Snapshot make_snapshot(double taken_s, std::vector<Process> procs, Fields fields = kAllFields) {
  Snapshot s;
  s.taken_ns = static_cast<uint64_t>(taken_s * 1e9);
  s.fields = fields;
  s.source = "bpf";
  s.processes = std::move(procs);
  return s;
}

// FakeSource returns what `script(n, request)` makes for its n-th snapshot (0, 1, ...); a script
// may throw ts::Error to play a source that failed. calls() and the last request are observable
// after the source was moved into a collector.
class FakeSource : public Source {
 public:
  using Script = std::function<Snapshot(int n, const Request& req)>;
  struct Seen {
    std::atomic<int> calls{0};
    std::atomic<Fields> fields{0};
  };

  FakeSource(std::string name, Script script) : name_(std::move(name)), script_(std::move(script)) {}
  std::string name() const override { return name_; }
  Snapshot snapshot(const Request& req) override {
    const int n = seen_->calls.load();
    seen_->fields = req.fields;
    Snapshot s;
    try {
      s = script_(n, req);
    } catch (...) {
      ++seen_->calls;
      throw;
    }
    s.source = name_;
    ++seen_->calls;  // counted once the snapshot is made: a pass is under way
    return s;
  }
  std::shared_ptr<Seen> seen() const { return seen_; }

 private:
  std::string name_;
  Script script_;
  std::shared_ptr<Seen> seen_ = std::make_shared<Seen>();
};

// FakeTracer hands out, at each drain, the events `script(n)` makes for its n-th drain (0, 1, ...);
// lost() is whatever the test sets. fd() is -1: poll() ignores it.
class FakeTracer : public bpf::EventTracer {
 public:
  using Script = std::function<std::vector<Event>(int n)>;
  explicit FakeTracer(Script script) : script_(std::move(script)) {}
  int fd() const override { return -1; }
  size_t drain(int, const bpf::EventSink& sink, const bpf::DrainBudget& = {}) override {
    const std::vector<Event> evs = script_(drains_++);
    for (const Event& e : evs) sink(e);
    return evs.size();
  }
  uint64_t lost() const override { return *lost_; }
  void detach() override {}
  uint64_t discard() override { return 0; }
  bpf::AttachKind attach_kind() const override { return bpf::AttachKind::TpBtf; }
  std::vector<bpf::ProgramCost> costs() const override { return {}; }
  std::shared_ptr<std::atomic<uint64_t>> lost_counter() const { return lost_; }

 private:
  Script script_;
  int drains_ = 0;
  std::shared_ptr<std::atomic<uint64_t>> lost_ = std::make_shared<std::atomic<uint64_t>>(0);
};

// make_clone() is a clone event: a thread of `parent` when `thread`, else a forked process.
inline Event make_clone(int32_t parent, int32_t child_tid, bool thread) {
  CloneEvent c;
  c.parent_pid = parent;
  c.parent_tid = parent;
  c.child_tid = child_tid;
  c.child_pid = thread ? parent : child_tid;
  c.flags = thread ? 0x00010000 | 0x00000100 : 0;  // CLONE_THREAD|CLONE_VM, or a plain fork
  return Event{c};
}

}  // namespace ts::test
