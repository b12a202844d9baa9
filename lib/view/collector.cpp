// collector.cpp: the runner thread: passes on a timer (or on request), frames through a one-slot
// mailbox and an eventfd, events carried over when the UI skips a frame.
#include "view/collector.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>
#include <utility>

#include "bpf/bpf_common.h"
#include "bpf/proc_tracer.h"
#include "model/error.h"
#include "sources/make_source.h"
#include "sys/clock.h"
#include "view/collect_notes.h"
#include "view/collect_pass.h"

namespace ts::view {

namespace {

// kMinDelay bounds how often passes may run, whatever -d says.
constexpr std::chrono::milliseconds kMinDelay{50};

// kQuietNs is how long the collector ignores the tracer's wakeups after it read on one: under a
// flood of events it reads at most this often between passes (the ring holds the rest, and what
// it cannot hold is counted as lost) instead of spending a CPU on it.
constexpr uint64_t kQuietNs = 100'000'000;

// kMaxDyingTasks bounds the dying tasks a frame carries over from frames the UI skipped.
constexpr size_t kMaxDyingTasks = 4096;

int make_eventfd() {
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw Error(std::string("cannot create an eventfd: ") + std::strerror(errno));
  return fd;
}

void signal_fd(int fd) {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = write(fd, &one, sizeof one);  // only fails when the count would overflow
}

void clear_fd(int fd) {
  uint64_t v;
  [[maybe_unused]] const ssize_t n = read(fd, &v, sizeof v);  // EAGAIN: already clear
}

uint64_t ns(std::chrono::milliseconds d) { return static_cast<uint64_t>(std::max(d, kMinDelay).count()) * 1'000'000; }

// carry_over() puts what `skipped` (a frame the UI never took) had for one refresh only into `f`,
// the frame that replaces it: its events (older, first) and its dying tasks, both bounded. Returns
// how many events it dropped to stay in bounds.
uint64_t carry_over(const Frame& skipped, Frame& f) {
  std::vector<Event> events = skipped.events;
  const uint64_t dropped = keep_newest(events, std::move(f.events), kMaxFrameEvents);
  f.events = std::move(events);
  size_t tasks = 0;
  for (const Process& p : f.dying) tasks += p.tasks.size();
  std::vector<Process> older;
  for (auto it = skipped.dying.rbegin(); it != skipped.dying.rend() && tasks + it->tasks.size() <= kMaxDyingTasks; ++it) {
    tasks += it->tasks.size();
    older.push_back(*it);
  }
  if (older.empty()) return dropped;
  // Older first, then one Process per pid: a process whose threads ended in both frames has them
  // all under one row.
  older.insert(older.end(), std::make_move_iterator(f.dying.begin()), std::make_move_iterator(f.dying.end()));
  std::stable_sort(older.begin(), older.end(), [](const Process& a, const Process& b) { return a.pid > b.pid; });
  f.dying.clear();
  while (!older.empty()) {
    if (!f.dying.empty() && f.dying.back().pid == older.back().pid) {
      std::vector<Task>& into = f.dying.back().tasks;
      into.insert(into.end(), older.back().tasks.begin(), older.back().tasks.end());
      f.dying.back().sort_tasks();
    } else {
      f.dying.push_back(std::move(older.back()));
    }
    older.pop_back();
  }
  return dropped;
}

// LoadedTracer is the event tracer once loaded, or why there is none.
struct LoadedTracer {
  std::unique_ptr<bpf::EventTracer> tracer;
  std::string note;
};

// load_tracer() loads the clone/exec/exit tracer when BPF is usable; otherwise (or when it fails)
// the note says why (empty when unprivileged: the privilege note says it).
LoadedTracer load_tracer(std::vector<int32_t> pids) {
  LoadedTracer out;
  const bpf::Support s = bpf::probe_support();
  if (!s.usable) {
    if (s.privileged) out.note = "no clone/exec/exit events: " + s.why;
    return out;
  }
  bpf::TraceFilter filter;
  if (pids.size() == 1) filter.pid = pids.front();  // the kernel filters, and follows its children
  try {
    out.tracer = std::make_unique<bpf::ProcTracer>(filter, bpf::ProcEvents{true, true, true});
  } catch (const std::exception& e) {
    out.note = std::string("no clone/exec/exit events: ") + e.what();
  }
  return out;
}

}  // namespace

struct Collector::Impl {
  std::unique_ptr<CollectPass> pass;
  std::string source_name;
  int frame_fd = -1;  // readable while mailbox holds a frame
  int wake_fd = -1;   // wakes the thread (a setting changed, stop)
  std::thread thread;
  uint64_t carried_lost = 0;  // events dropped when skipped frames were merged (thread only)
  // The event tracer, loading beside the first pass (its programs take tens of ms to verify, and
  // the first frame does not wait for them: it has no events to show anyway). Thread only.
  std::future<LoadedTracer> tracer;

  std::mutex mu;  // guards what follows
  std::shared_ptr<const Frame> mailbox;
  Fields fields = 0;
  std::vector<int32_t> gmp_pids;
  bool gmp_changed = false;
  std::chrono::milliseconds delay{1000};
  bool paused = false;
  bool refresh = false;
  bool stop = false;

  Impl() : frame_fd(make_eventfd()) {
    try {
      wake_fd = make_eventfd();
    } catch (...) {
      close(frame_fd);
      throw;
    }
  }
  ~Impl() {
    close(frame_fd);
    close(wake_fd);
  }

  void publish(std::shared_ptr<Frame> f) {
    std::shared_ptr<const Frame> skipped;
    {
      std::lock_guard lock(mu);
      skipped = std::move(mailbox);
      if (skipped) clear_fd(frame_fd);
    }
    if (skipped) carried_lost += carry_over(*skipped, *f);
    f->events_lost += carried_lost;
    std::lock_guard lock(mu);
    mailbox = std::move(f);
    signal_fd(frame_fd);
  }

  void loop() {
    uint64_t last_pass = 0;      // when the last pass began; 0: none yet
    uint64_t quiet_until = 0;    // tracer wakeups are ignored until then
    for (;;) {
      Fields want;
      std::vector<int32_t> gmp;
      bool gmp_now = false;
      uint64_t delay_ns;
      bool paused_now, refresh_now;
      {
        std::lock_guard lock(mu);
        if (stop) return;
        want = fields;
        if ((gmp_now = std::exchange(gmp_changed, false))) gmp = gmp_pids;
        delay_ns = ns(delay);
        paused_now = paused;
        refresh_now = std::exchange(refresh, false);
      }
      if (gmp_now) pass->set_gmp_pids(std::move(gmp));
      uint64_t now = sys::monotonic_ns();
      if (!paused_now && (refresh_now || last_pass == 0 || now >= last_pass + delay_ns)) {
        last_pass = now;
        adopt_tracer();
        publish(pass->run(want));
        now = sys::monotonic_ns();
      }
      // Wait for the next pass, a setting, or a burst of events. Paused, the thread still wakes
      // once a delay to read events into the next frame.
      const uint64_t due = paused_now ? now + delay_ns : last_pass + delay_ns;
      const int timeout_ms = due > now ? static_cast<int>((due - now + 999'999) / 1'000'000) : 0;
      pollfd fds[2] = {{wake_fd, POLLIN, 0}, {-1, POLLIN, 0}};
      if (now >= quiet_until) fds[1].fd = pass->events_fd();
      const int n = poll(fds, 2, timeout_ms);
      if (n > 0 && (fds[0].revents & POLLIN)) clear_fd(wake_fd);
      if (n > 0 && fds[1].fd >= 0 && (fds[1].revents & POLLIN)) {
        pass->gather();
        quiet_until = sys::monotonic_ns() + kQuietNs;
      } else if (n == 0 && paused_now) {
        pass->gather();
      }
    }
  }

  // adopt_tracer() hands the event tracer to the pass once it is loaded. No pass waits for it: a
  // loaded machine can take seconds to verify its programs, and frames keep coming meanwhile
  // (saying events_starting); what it traced before its first pass waits in its ring.
  void adopt_tracer() {
    if (!tracer.valid() || tracer.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
    LoadedTracer t = tracer.get();
    pass->set_events(std::move(t.tracer), std::move(t.note));
  }

  void wake() { signal_fd(wake_fd); }
};

Collector::Collector(CollectorConfig cfg) : impl_(std::make_unique<Impl>()) {
  std::string fallback;
  std::unique_ptr<Source> source = make_source(parse_source_kind(cfg.source), &fallback, SourceUse::Repeating);
  const bpf::Support support = bpf::probe_support();
  PassSetup setup{cfg.pids, cfg.goro, {}, cfg.events && support.usable, cfg.rates, cfg.argv_once};
  for (const std::string& n : {fallback, privilege_note(support)})
    if (!n.empty()) setup.notes.push_back(n);
  impl_->source_name = source->name();
  impl_->pass = std::make_unique<CollectPass>(std::move(source), nullptr, std::move(setup));
  impl_->fields = cfg.fields;
  impl_->delay = cfg.delay;
  if (cfg.events) impl_->tracer = std::async(std::launch::async, load_tracer, cfg.pids);
}

Collector::Collector(CollectorConfig cfg, std::unique_ptr<Source> source, std::unique_ptr<bpf::EventTracer> tracer)
    : impl_(std::make_unique<Impl>()) {
  impl_->source_name = source->name();
  impl_->pass = std::make_unique<CollectPass>(std::move(source), std::move(tracer), PassSetup{cfg.pids, cfg.goro, {}, false, cfg.rates, cfg.argv_once});
  impl_->fields = cfg.fields;
  impl_->delay = cfg.delay;
}

Collector::~Collector() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Collector::start() {
  if (!impl_->thread.joinable()) impl_->thread = std::thread([this] { impl_->loop(); });
}

int Collector::fd() const { return impl_->frame_fd; }

std::shared_ptr<const Frame> Collector::take() {
  std::lock_guard lock(impl_->mu);
  if (impl_->mailbox) clear_fd(impl_->frame_fd);
  return std::move(impl_->mailbox);
}

void Collector::set_fields(Fields f) {
  std::lock_guard lock(impl_->mu);
  impl_->fields = f;
}

void Collector::set_gmp_pids(std::vector<int32_t> pids) {
  std::lock_guard lock(impl_->mu);
  impl_->gmp_pids = std::move(pids);
  impl_->gmp_changed = true;
}

void Collector::set_delay(std::chrono::milliseconds d) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->delay = d;
  }
  impl_->wake();
}

void Collector::set_paused(bool paused) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->paused && !paused) impl_->refresh = true;  // resume with fresh data
    impl_->paused = paused;
  }
  impl_->wake();
}

void Collector::refresh() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->refresh = true;
  }
  impl_->wake();
}

std::string Collector::source_name() const { return impl_->source_name; }

}  // namespace ts::view
