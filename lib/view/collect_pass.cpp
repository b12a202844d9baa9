// collect_pass.cpp: one pass of the collector, made into a Frame.
#include "view/collect_pass.h"

#include <iterator>
#include <utility>

#include "model/error.h"
#include "sys/clock.h"
#include "view/collect_goro.h"
#include "view/collect_rates.h"

namespace ts::view {

namespace {

// kGatherNs bounds one read of the event tracer: a machine creating tasks faster than they can be
// decoded would otherwise keep the collector reading for ever (the rest waits in the ring, and what
// the ring cannot hold is counted as lost).
constexpr uint64_t kGatherNs = 20'000'000;

// kRuntimeBudgetNs bounds the executables a pass reads to find Go programs (each is read once;
// the first pass reads none, so that the first frame is not held up by them).
constexpr uint64_t kRuntimeBudgetNs = 20'000'000;

}  // namespace

CollectPass::CollectPass(std::unique_ptr<Source> source, std::unique_ptr<bpf::EventTracer> tracer, PassSetup setup)
    : source_(std::move(source)), setup_(std::move(setup)), events_(std::move(tracer), setup_.pids) {
  try {
    machine_ = std::make_unique<procfs::MachineReader>();
  } catch (const Error& e) {
    machine_error_ = e.what();
  }
}

CollectPass::~CollectPass() = default;

void CollectPass::gather() { events_.gather(kGatherNs); }

void CollectPass::set_events(std::unique_ptr<bpf::EventTracer> tracer, std::string note) {
  events_ = EventGather(std::move(tracer), setup_.pids);
  setup_.events_coming = false;
  if (!note.empty()) setup_.notes.push_back(std::move(note));
}

void CollectPass::add_notes(Frame& f, Fields asked, std::vector<std::string>&& more) const {
  f.notes = setup_.notes;
  f.notes.insert(f.notes.end(), f.snap.notes.begin(), f.snap.notes.end());
  f.notes.insert(f.notes.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  if (has(asked, Field::Delay) && !has(f.snap.fields, Field::Delay) && f.snap.source == "proc")
    f.notes.push_back("no run-queue delay: this kernel has no /proc/PID/schedstat (CONFIG_SCHED_INFO)");
  if (!machine_) f.notes.push_back("no machine counters: " + machine_error_);
}

std::shared_ptr<Frame> CollectPass::run(Fields fields) {
  const uint64_t t0 = sys::monotonic_ns();
  auto f = std::make_shared<Frame>();
  f->seq = ++seq_;
  Request req;
  req.fields = fields | Field::Ids;
  req.argv_once = setup_.argv_once;
  req.pids = setup_.pids;
  bool ok = true;
  std::vector<std::string> notes;  // this pass's, beside the snapshot's
  try {
    f->snap = source_->snapshot(req);
  } catch (const std::exception& e) {  // ts::Error: the source failed as a whole
    ok = false;
    f->snap.taken_ns = t0;
    f->snap.source = source_->name();
    notes.push_back(std::string("cannot read the tasks: ") + e.what());
  }
  f->taken_ns = f->snap.taken_ns;
  if (machine_) {
    try {
      f->machine = machine_->read();
    } catch (const std::exception& e) {
      notes.push_back(std::string("cannot read the machine counters: ") + e.what());
    }
  }
  events_.gather(kGatherNs);
  EventBatch batch = events_.take();
  f->events = std::move(batch.events);
  f->events_on = events_.on();
  f->events_starting = !f->events_on && setup_.events_coming;
  f->events_lost = events_.lost();

  const Frame* prev = last_.get();
  if (ok && prev && setup_.rates && f->snap.taken_ns > prev->snap.taken_ns) {
    f->interval_s = static_cast<double>(f->snap.taken_ns - prev->snap.taken_ns) / 1e9;
    f->rates = diff(prev->snap, f->snap);
    f->run_delay_ms_ps = run_delay_rates(prev->snap, f->snap);
    f->dying = dying(prev->snap, f->snap);
    if (prev->machine.taken_ns && f->machine.taken_ns) f->machine_rates = diff(prev->machine, f->machine);
    // Only once the tracer ran through the whole interval: the events of the pass it started in
    // cover part of it, and divided by all of it would read low.
    if (prev->events_on && f->events_on) {
      f->clones_ps = static_cast<double>(batch.processes) / f->interval_s;
      f->threads_ps = static_cast<double>(batch.threads) / f->interval_s;
      f->clones_known = true;
    }
  }
  if (setup_.rates) f->process_rates = process_rates(f->snap, f->rates, f->run_delay_ms_ps);
  if (setup_.goro && ok) {
    const std::vector<int32_t> segments = goro_segment_pids();
    f->runtimes = runtimes_.update(f->snap, segments, f->seq == 1 ? 0 : kRuntimeBudgetNs);
    GoroRead g = read_goros(f->snap, segments);
    f->goro = std::move(g.by_pid);
    notes.insert(notes.end(), std::make_move_iterator(g.notes.begin()), std::make_move_iterator(g.notes.end()));
    for (int32_t pid : gmp_pids_) {  // Go programs, through the same reader as `taskscope gmp`
      const auto rt = f->runtimes.find(pid);
      if (rt == f->runtimes.end() || !is_go_runtime(rt->second)) continue;
      try {
        f->goro.emplace(pid, runtimes_.read_go(pid));  // a reader kept with the process
      } catch (const std::exception& e) {  // ts::Error (stripped, a renamed field), ts::Gone
        f->gmp_errors.emplace(pid, e.what());
      }
    }
  }
  add_notes(*f, req.fields, std::move(notes));
  if (ok && setup_.rates) last_ = f;
  f->collect_ns = sys::monotonic_ns() - t0;
  return f;
}

}  // namespace ts::view
