// sched_tracer.cpp: loading trace_sched.bpf.c, draining its ring buffer, reading its summary.
#include "bpf/sched_tracer.h"

#include <bpf/bpf.h>
#include <linux/types.h>

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <thread>

#include "../../bpf/trace_sched.h"
#include "bpf/iter_pin.h"
#include "bpf/tracer_load.h"
#include "sys/pid.h"
#include "trace_sched.skel.h"

namespace ts::bpf {

namespace {

// kSummaryRing is the ring buffer's size in summary mode, where it carries only the statistics of
// threads that exit (about 1 KiB each) between drains: 8 MiB hold about 8,000.
constexpr __u32 kSummaryRing = 8 << 20;

// kFallbackLive is the room in the tid-keyed map under tp_btf, where it holds only threads whose
// task storage the kernel could not make yet (about 1 KiB each).
constexpr __u32 kFallbackLive = 1024;

Log2Hist to_hist(const __u64 (&slots)[TS_HIST_SLOTS]) {
  Log2Hist h;
  h.slots.assign(std::begin(slots), std::end(slots));
  while (!h.slots.empty() && h.slots.back() == 0) h.slots.pop_back();
  return h;
}

// live_entries() sizes the summary's map of live threads: twice the threads alive now
// (sys::task_total()), at least 4096. A thread that finds no room is counted in lost().
__u32 live_entries() {
  return static_cast<__u32>(std::clamp<uint64_t>(2 * sys::task_total(), 4096, 1u << 20));
}

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

struct RingDeleter {
  void operator()(ring_buffer* rb) const { ring_buffer__free(rb); }
};

}  // namespace

struct SchedTracer::Impl {
  Links links;
  OwnedSkel<trace_sched_bpf> skel;
  AttachKind kind = AttachKind::TpBtf;
  SchedMode mode = SchedMode::Stream;
  std::unique_ptr<RingReader> reader;                // stream mode
  std::unique_ptr<ring_buffer, RingDeleter> exits;   // summary mode: statistics of exited threads
  std::unique_ptr<bpf_link, LinkDeleter> live_iter;  // summary mode, tp_btf: reads the live threads' task storage
  std::map<__u32, ts_sched_stats> exited;            // what `exits` brought so far
  uint64_t malformed = 0;                            // exit records of the wrong size

  // read_live_iter() adds the statistics of every live thread (tp_btf: task storage, or the
  // fallback hash for a thread without, via live_iter; a stint in progress included) to `all`.
  void read_live_iter(std::map<__u32, ts_sched_stats>& all) {
    UniqueFd it(bpf_iter_create(bpf_link__fd(live_iter.get())));
    if (it.get() < 0) throw Error(std::string("cannot read the context switch summary: ") + std::strerror(errno));
    // Records may straddle two reads (the kernel copies at most what the buffer holds): keep the rest.
    std::vector<char> buf(64 * sizeof(ts_sched_stats));
    size_t have = 0;
    for (;;) {
      const ssize_t n = read(it.get(), buf.data() + have, buf.size() - have);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        throw Error(std::string("cannot read the context switch summary: ") + std::strerror(errno));
      }
      have += static_cast<size_t>(n);
      const size_t whole = have / sizeof(ts_sched_stats);
      for (size_t i = 0; i < whole; ++i) {
        ts_sched_stats v;
        std::memcpy(&v, buf.data() + i * sizeof v, sizeof v);
        add_stats(all, v.tid, v);
      }
      have -= whole * sizeof(ts_sched_stats);
      std::memmove(buf.data(), buf.data() + whole * sizeof(ts_sched_stats), have);
    }
    malformed += have != 0;
  }

  // read_live_map() adds the statistics of every live thread (the raw_tp/ programs' hash) to `all`.
  void read_live_map(std::map<__u32, ts_sched_stats>& all) const {
    const int fd = bpf_map__fd(skel->maps.live);
    __u32 key = 0, next = 0;
    const __u32* prev = nullptr;
    ts_sched_live v{};
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
      key = next;
      prev = &key;
      if (bpf_map_lookup_elem(fd, &key, &v) == 0) add_stats(all, key, v.s);
    }
  }

  static int on_exit(void* ctx, void* data, size_t size) {
    auto* self = static_cast<Impl*>(ctx);
    if (size < sizeof(ts_sched_stats)) {
      ++self->malformed;
      return 0;
    }
    ts_sched_stats v;
    std::memcpy(&v, data, sizeof v);
    add_stats(self->exited, v.tid, v);
    return 0;
  }
};

SchedTracer::SchedTracer(const TraceFilter& filter, SchedMode mode, uint32_t summary_slots)
    : impl_(std::make_unique<Impl>()) {
  if (summary_slots == 0 || summary_slots > TS_HOT_SLOTS || (summary_slots & (summary_slots - 1)))
    throw Error("the context switch summary's slots must be a power of two up to " + std::to_string(TS_HOT_SLOTS) +
                ", not " + std::to_string(summary_slots));
  impl_->mode = mode;
  const bool summary = mode == SchedMode::Summary;
  auto prepare = [&](trace_sched_bpf* s, AttachKind kind) {
    set_filter_knobs(s->rodata, filter, kind);
    s->rodata->summary_mode = summary;
    // the tid-keyed map holds every thread for the raw_tp/ programs; tp_btf/ ones keep task
    // storage, and use it only for threads whose task storage the kernel could not make yet
    bpf_map__set_max_entries(s->maps.live, !summary ? 1 : kind == AttachKind::RawTp ? live_entries() : kFallbackLive);
    // the array slots (~1 KiB each) serve the tp_btf/ summary alone
    const bool slots = summary && kind == AttachKind::TpBtf;
    s->rodata->hot_mask = slots ? summary_slots - 1 : 0;
    bpf_map__set_max_entries(s->maps.hot, slots ? summary_slots : 1);
    if (summary) bpf_map__set_max_entries(s->maps.events, kSummaryRing);
    choose_programs(s->obj, kind, [summary](const std::string& hook) {
      return hook == "switch" || (summary && hook == "live_iter");
    });
  };
  impl_->skel = load_tracer<trace_sched_bpf>("the context switch tracer", prepare, impl_->links, impl_->kind);
  const int ring = bpf_map__fd(impl_->skel->maps.events);
  if (!summary) {
    impl_->reader = std::make_unique<RingReader>(ring);
    return;
  }
  impl_->exits.reset(ring_buffer__new(ring, &Impl::on_exit, impl_.get(), nullptr));
  if (!impl_->exits) throw Error("cannot open the BPF ring buffer: " + std::string(std::strerror(errno)));
  if (impl_->kind == AttachKind::TpBtf) {
    impl_->live_iter.reset(bpf_program__attach_iter(impl_->skel->progs.btf_live_iter, nullptr));
    if (!impl_->live_iter) throw Error(explain_load_failure("the context switch tracer (iter/task)", -errno));
  }
}

SchedTracer::~SchedTracer() {
  if (impl_) {
    impl_->links.clear();
    impl_->live_iter.reset();
    impl_->reader.reset();
    impl_->exits.reset();
  }
}

int SchedTracer::fd() const {
  return impl_->reader ? impl_->reader->epoll_fd() : ring_buffer__epoll_fd(impl_->exits.get());
}

AttachKind SchedTracer::attach_kind() const { return impl_->kind; }

std::vector<ProgramCost> SchedTracer::costs() const { return program_costs(impl_->skel->obj); }

size_t SchedTracer::drain(int timeout_ms, const EventSink& sink, const DrainBudget& budget) {
  if (impl_->reader) {
    const size_t n = impl_->reader->drain(timeout_ms, sink, budget);
    __atomic_store_n(&impl_->skel->bss->woke, 0, __ATOMIC_RELAXED);  // the next half-full ring may wake us again
    return n;
  }
  if (timeout_ms > 0) ring_buffer__poll(impl_->exits.get(), timeout_ms);
  ring_buffer__consume(impl_->exits.get());
  return 0;
}

void SchedTracer::detach() { impl_->links.clear(); }

uint64_t SchedTracer::discard() { return impl_->reader ? impl_->reader->discard() : 0; }

std::vector<ThreadSchedStats> SchedTracer::summary() {
  if (!impl_->exits) return {};
  ring_buffer__consume(impl_->exits.get());
  std::map<__u32, ts_sched_stats> all = impl_->exited;
  // A thread that exits while the live set is read is skipped (its statistics are gone, or marked
  // retired) and its final statistics wait in the ring for the next call.
  if (impl_->live_iter)
    impl_->read_live_iter(all);
  else
    impl_->read_live_map(all);
  std::vector<ThreadSchedStats> out;
  for (const auto& [tid, s] : all) {
    ThreadSchedStats t;
    t.pid = static_cast<int32_t>(s.pid);
    t.tid = static_cast<int32_t>(tid);
    t.comm.assign(s.comm, strnlen(s.comm, sizeof s.comm));
    t.nvcsw = s.voluntary;
    t.nivcsw = s.involuntary;
    t.oncpu = to_hist(s.oncpu);
    t.offcpu = to_hist(s.offcpu);
    t.runq = to_hist(s.runq);
    out.push_back(std::move(t));
  }
  return out;  // by tid: the map is ordered
}

uint64_t SchedTracer::lost() const {
  const auto* bss = impl_->skel->bss;
  uint64_t skipped = 0;
  for (const auto& c : costs()) skipped += c.misses;
  return __atomic_load_n(&bss->lost, __ATOMIC_RELAXED) + __atomic_load_n(&bss->map_full, __ATOMIC_RELAXED) +
         impl_->malformed + skipped;
}

}  // namespace ts::bpf
