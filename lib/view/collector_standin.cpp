// collector_standin.cpp: STAND-IN for topdata's lib/view/collector.cpp, so the UI of `taskscope top`
// can run before the real Collector lands. DELETE THIS FILE when collector.cpp is merged.
// It is synchronous: fd() is a timerfd that fires every delay, and take() does the pass itself
// (the source, the machine counters, goro segments, clone/exec/exit events when BPF loads).
#include <sys/timerfd.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "bpf/bpf_common.h"
#include "bpf/proc_tracer.h"
#include "goro/reader.h"
#include "model/error.h"
#include "procfs/machine_reader.h"
#include "sources/make_source.h"
#include "sys/clock.h"
#include "view/collector.h"

namespace ts::view {

struct Collector::Impl {
  CollectorConfig cfg;
  std::unique_ptr<Source> source;
  std::string note;
  procfs::MachineReader machine;
  std::unique_ptr<bpf::ProcTracer> tracer;
  std::string tracer_note;
  int tfd = -1;
  bool have_prev = false;
  Snapshot prev;
  MachineSample prev_m;
  uint64_t seq = 0;
  bool paused = false;

  void arm(uint64_t first_ns) {
    const uint64_t d = static_cast<uint64_t>(cfg.delay.count()) * 1000000ull;
    itimerspec it{};
    it.it_value = {static_cast<time_t>(first_ns / 1000000000ull), static_cast<long>(first_ns % 1000000000ull)};
    it.it_interval = {static_cast<time_t>(d / 1000000000ull), static_cast<long>(d % 1000000000ull)};
    timerfd_settime(tfd, 0, &it, nullptr);
  }

  std::shared_ptr<const Frame> pass() {
    auto f = std::make_shared<Frame>();
    Request req;
    req.fields = cfg.fields | Field::Ids;
    req.pids = cfg.pids;
    f->snap = source->snapshot(req);
    f->machine = machine.read();
    f->seq = ++seq;
    f->taken_ns = f->snap.taken_ns;
    if (have_prev && f->snap.taken_ns > prev.taken_ns) {
      f->interval_s = static_cast<double>(f->snap.taken_ns - prev.taken_ns) / 1e9;
      f->rates = diff(prev, f->snap);
      f->machine_rates = diff(prev_m, f->machine);
      std::unordered_map<int32_t, uint64_t> prev_delay;
      std::set<std::pair<int32_t, int32_t>> now;
      for (const Process& p : f->snap.processes)
        for (const Task& t : p.tasks) now.insert({p.pid, t.tid});
      for (const Process& p : prev.processes) {
        Process gone = p;
        gone.tasks.clear();
        for (const Task& t : p.tasks) {
          prev_delay[t.tid] = t.run_delay_ns;
          if (!now.count({p.pid, t.tid})) gone.tasks.push_back(t);
        }
        if (!gone.tasks.empty()) f->dying.push_back(std::move(gone));
      }
      for (const Process& p : f->snap.processes) {
        ProcessRate pr;
        bool any = false;
        for (const Task& t : p.tasks) {
          auto r = f->rates.find(t.tid);
          if (r == f->rates.end()) continue;
          any = true;
          pr.cpu_pct += r->second.cpu_pct;
          pr.nvcsw_ps += r->second.nvcsw_ps;
          pr.nivcsw_ps += r->second.nivcsw_ps;
          auto d = prev_delay.find(t.tid);
          if (f->snap.source == "bpf" && d != prev_delay.end() && t.run_delay_ns >= d->second) {
            const double ms_ps = static_cast<double>(t.run_delay_ns - d->second) / 1e6 / f->interval_s;
            f->run_delay_ms_ps[t.tid] = ms_ps;
            pr.run_delay_ms_ps += ms_ps;
          }
        }
        if (any) f->process_rates[p.pid] = pr;
      }
    }
    if (cfg.goro) {
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator("/dev/shm", ec)) {
        const std::string n = e.path().filename().string();
        if (n.rfind("goro.", 0) != 0) continue;
        const int32_t pid = std::atoi(n.c_str() + 5);
        if (pid <= 0 || !f->snap.find(pid)) continue;
        try {
          f->goro[pid] = goro::read_goro(pid);
        } catch (const Error&) {
        }
      }
    }
    if (tracer) {
      f->events_on = true;
      uint64_t clones = 0, threads = 0;
      bpf::DrainBudget budget{sys::monotonic_ns() + 20000000ull, nullptr};
      tracer->drain(0, [&](const Event& e) {
        if (const auto* c = std::get_if<CloneEvent>(&e)) (c->child_pid == c->parent_pid ? threads : clones)++;
        f->events.push_back(e);
      }, budget);
      f->events_lost = tracer->lost();
      if (f->interval_s > 0) {
        f->clones_ps = static_cast<double>(clones) / f->interval_s;
        f->threads_ps = static_cast<double>(threads) / f->interval_s;
      }
    }
    f->notes = f->snap.notes;
    if (!note.empty()) f->notes.push_back(note);
    if (!tracer_note.empty()) f->notes.push_back(tracer_note);
    f->collect_ns = sys::monotonic_ns() - f->taken_ns;
    prev = f->snap;
    prev_m = f->machine;
    have_prev = true;
    return f;
  }
};

Collector::Collector(CollectorConfig cfg) : impl_(std::make_unique<Impl>()) {
  impl_->cfg = std::move(cfg);
  impl_->source = make_source(parse_source_kind(impl_->cfg.source), &impl_->note);
  if (impl_->cfg.events) {
    const bpf::Support s = bpf::probe_support();
    if (s.usable) {
      try {
        impl_->tracer = std::make_unique<bpf::ProcTracer>(bpf::TraceFilter{}, bpf::ProcEvents{true, true, true});
      } catch (const Error& e) {
        impl_->tracer_note = std::string("no events: ") + e.what();
      }
    } else {
      impl_->tracer_note = "no events: " + s.why;
    }
  }
  impl_->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (impl_->tfd < 0) throw Error("cannot create a timer for the collector");
}

Collector::~Collector() {
  if (impl_ && impl_->tfd >= 0) close(impl_->tfd);
}

void Collector::start() { impl_->arm(1); }

int Collector::fd() const { return impl_->tfd; }

std::shared_ptr<const Frame> Collector::take() {
  uint64_t n = 0;
  if (read(impl_->tfd, &n, sizeof n) != sizeof n || impl_->paused) return nullptr;
  return impl_->pass();
}

void Collector::set_fields(Fields f) { impl_->cfg.fields = f; }

void Collector::set_delay(std::chrono::milliseconds d) {
  impl_->cfg.delay = d;
  impl_->arm(static_cast<uint64_t>(d.count()) * 1000000ull);
}

void Collector::set_paused(bool paused) { impl_->paused = paused; }

void Collector::refresh() { impl_->arm(1); }

std::string Collector::source_name() const { return impl_->source->name(); }

}  // namespace ts::view
