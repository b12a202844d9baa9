// sched_tracer.cpp: loading trace_sched.bpf.c and reading its summary map.
#include "bpf/sched_tracer.h"

#include <bpf/bpf.h>
#include <linux/types.h>

#include <algorithm>
#include <thread>

#include "../../bpf/trace_sched.h"
#include "bpf/tracer_load.h"
#include "trace_sched.skel.h"

namespace ts::bpf {

namespace {

Log2Hist to_hist(const __u64 (&slots)[TS_HIST_SLOTS]) {
  Log2Hist h;
  h.slots.assign(std::begin(slots), std::end(slots));
  while (!h.slots.empty() && h.slots.back() == 0) h.slots.pop_back();
  return h;
}

// kRawTaskEntries sizes the tid-keyed hash that replaces task storage under raw_tp.
constexpr __u32 kRawTaskEntries = 65536;

}  // namespace

struct SchedTracer::Impl {
  Links links;
  OwnedSkel<trace_sched_bpf> skel;
  AttachKind kind = AttachKind::TpBtf;
  SchedMode mode = SchedMode::Stream;
  std::unique_ptr<RingReader> reader;
};

SchedTracer::SchedTracer(const TraceFilter& filter, SchedMode mode) : impl_(std::make_unique<Impl>()) {
  impl_->mode = mode;
  const bool summary = mode == SchedMode::Summary;
  auto prepare = [&](trace_sched_bpf* s, AttachKind kind) {
    set_filter_knobs(s->rodata, filter, kind);
    s->rodata->summary_mode = summary;
    if (kind == AttachKind::RawTp) bpf_map__set_max_entries(s->maps.task_ts_raw, kRawTaskEntries);
    // Wakeups only feed the run-queue histogram: streaming does not pay for them.
    choose_programs(s->obj, kind, [&](const std::string& hook) {
      return hook == "switch" || (summary && (hook == "wakeup" || hook == "wakeup_new"));
    });
  };
  impl_->skel = load_tracer<trace_sched_bpf>("the context switch tracer", prepare, impl_->links, impl_->kind);
  impl_->reader = std::make_unique<RingReader>(bpf_map__fd(impl_->skel->maps.events));
}

SchedTracer::~SchedTracer() {
  if (impl_) {
    impl_->reader.reset();
    impl_->links.clear();
  }
}

AttachKind SchedTracer::attach_kind() const { return impl_->kind; }

size_t SchedTracer::drain(int timeout_ms, const EventSink& sink) {
  if (impl_->mode == SchedMode::Summary) {
    if (timeout_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
    return 0;
  }
  return impl_->reader->drain(timeout_ms, sink);
}

std::vector<ThreadSchedStats> SchedTracer::summary() const {
  std::vector<ThreadSchedStats> out;
  const int fd = bpf_map__fd(impl_->skel->maps.stats);
  __u32 key = 0, next = 0;
  const __u32* prev = nullptr;
  ts_sched_stats v{};
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map_lookup_elem(fd, &key, &v) != 0) continue;  // the thread's entry vanished meanwhile
    ThreadSchedStats t;
    t.pid = static_cast<int32_t>(v.pid);
    t.tid = static_cast<int32_t>(key);
    t.comm.assign(v.comm, strnlen(v.comm, sizeof v.comm));
    t.voluntary = v.voluntary;
    t.involuntary = v.involuntary;
    t.oncpu = to_hist(v.oncpu);
    t.offcpu = to_hist(v.offcpu);
    t.runq = to_hist(v.runq);
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.tid < b.tid; });
  return out;
}

uint64_t SchedTracer::lost() const {
  const auto* bss = impl_->skel->bss;
  return __atomic_load_n(&bss->lost, __ATOMIC_RELAXED) + __atomic_load_n(&bss->map_full, __ATOMIC_RELAXED);
}

}  // namespace ts::bpf
