// sched_tracer.cpp: loading trace_sched.bpf.c and reading its summary map.
#include "bpf/sched_tracer.h"

#include <bpf/bpf.h>
#include <linux/types.h>

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
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
      return hook == "switch" || (summary && (hook == "wakeup" || hook == "wakeup_new" || hook == "sum_exit"));
    });
    // Summary under tp_btf keeps statistics in task storage; this iterator reads the live ones.
    bpf_program__set_autoload(s->progs.iter_dump_sum, summary && kind == AttachKind::TpBtf);
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

namespace {

// add_stats() folds `v` into the statistics of thread `tid` (a tid reused by a new thread after
// the old one exited appears twice: both are counted).
void add_stats(std::map<__u32, ts_sched_stats>& all, __u32 tid, const ts_sched_stats& v) {
  auto [it, fresh] = all.try_emplace(tid, v);
  if (fresh) return;
  ts_sched_stats& s = it->second;
  s.pid = v.pid;
  std::memcpy(s.comm, v.comm, sizeof s.comm);
  s.voluntary += v.voluntary;
  s.involuntary += v.involuntary;
  for (int i = 0; i < TS_HIST_SLOTS; ++i) {
    s.oncpu[i] += v.oncpu[i];
    s.offcpu[i] += v.offcpu[i];
    s.runq[i] += v.runq[i];
  }
}

// read_live_stats() runs the iterator and adds every live task's statistics to `all`.
void read_live_stats(bpf_program* iter, std::map<__u32, ts_sched_stats>& all) {
  std::unique_ptr<bpf_link, LinkDeleter> link{bpf_program__attach_iter(iter, nullptr)};
  if (!link) throw Error(explain_load_failure("iter/task (summary reader)", -errno));
  const int fd = bpf_iter_create(bpf_link__fd(link.get()));
  if (fd < 0) throw Error(explain_load_failure("iter/task (summary reader)", -errno));
  std::vector<char> buf;
  char chunk[1 << 16];
  for (ssize_t n; (n = read(fd, chunk, sizeof chunk)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      throw Error("cannot read the summary iterator: " + std::string(std::strerror(err)));
    }
    buf.insert(buf.end(), chunk, chunk + n);
  }
  close(fd);
  constexpr size_t kRec = 8 + sizeof(ts_sched_stats);
  for (size_t off = 0; off + kRec <= buf.size(); off += kRec) {
    __u32 tid;
    ts_sched_stats v;
    std::memcpy(&tid, buf.data() + off, sizeof tid);
    std::memcpy(&v, buf.data() + off + 8, sizeof v);
    add_stats(all, tid, v);
  }
}

}  // namespace

std::vector<ThreadSchedStats> SchedTracer::summary() const {
  std::map<__u32, ts_sched_stats> all;
  const int fd = bpf_map__fd(impl_->skel->maps.stats);
  __u32 key = 0, next = 0;
  const __u32* prev = nullptr;
  ts_sched_stats v{};
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map_lookup_elem(fd, &key, &v) == 0) add_stats(all, key, v);  // else it vanished meanwhile
  }
  if (impl_->mode == SchedMode::Summary && impl_->kind == AttachKind::TpBtf)
    read_live_stats(impl_->skel->progs.iter_dump_sum, all);
  std::vector<ThreadSchedStats> out;
  for (const auto& [tid, s] : all) {
    ThreadSchedStats t;
    t.pid = static_cast<int32_t>(s.pid);
    t.tid = static_cast<int32_t>(tid);
    t.comm.assign(s.comm, strnlen(s.comm, sizeof s.comm));
    t.voluntary = s.voluntary;
    t.involuntary = s.involuntary;
    t.oncpu = to_hist(s.oncpu);
    t.offcpu = to_hist(s.offcpu);
    t.runq = to_hist(s.runq);
    out.push_back(std::move(t));
  }
  return out;  // by tid: the map is ordered
}

uint64_t SchedTracer::lost() const {
  const auto* bss = impl_->skel->bss;
  return __atomic_load_n(&bss->lost, __ATOMIC_RELAXED) + __atomic_load_n(&bss->map_full, __ATOMIC_RELAXED);
}

}  // namespace ts::bpf
