// trace_run.cpp: the run loop of `taskscope trace`: checks, the tracer, timed draining, the end.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <memory>

#include "bpf/bpf_common.h"
#include "bpf/event_tracer.h"
#include "bpf/proc_tracer.h"
#include "bpf/sched_tracer.h"
#include "format/ndjson.h"
#include "sources/make_source.h"
#include "format/units.h"
#include "model/error.h"
#include "output.h"
#include "sys/clock.h"
#include "sys/pid.h"
#include "trace.h"
#include "trace_summary.h"

namespace ts::tools {

namespace {

// kDrainMs is how often the ring buffer is read when no early wakeup comes: producers do not wake
// the reader per event, so this bounds how late a line appears. A round's reading is bounded by
// the same time, so that the duration and SIGINT are looked at, whatever the event rate.
constexpr int kDrainMs = 100;

// kFinalMs bounds the last read, after the programs are detached: what is still unread then is
// counted, not printed.
constexpr int kFinalMs = 50;

volatile sig_atomic_t g_stop = 0;

void on_stop_signal(int) { g_stop = 1; }

// StopSignals routes SIGINT and SIGTERM to g_stop while tracing, without SA_RESTART so that the
// ring buffer wait returns at once; the previous handlers come back on destruction.
class StopSignals {
 public:
  StopSignals() {
    g_stop = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

void check_target(const bpf::TraceFilter& f) {
  if (f.pid < 0) throw Error("-p " + std::to_string(f.pid) + ": a pid is a positive number", 2);
  if (f.tid < 0) throw Error("-t " + std::to_string(f.tid) + ": a tid is a positive number", 2);
  // Ids are this pid namespace's (process_of() refuses a /proc of another one), as the tracers'.
  if (f.pid > 0) {
    const int32_t tgid = process_of(f.pid);
    if (tgid == 0) throw Error("-p " + std::to_string(f.pid) + ": no such process (see taskscope ps)");
    if (tgid != f.pid)
      throw Error("-p " + std::to_string(f.pid) + " is a thread of process " + std::to_string(tgid) + ": use -t " +
                  std::to_string(f.pid) + " or -p " + std::to_string(tgid), 2);
  }
  if (f.tid > 0 && process_of(f.tid) == 0)
    throw Error("-t " + std::to_string(f.tid) + ": no such thread (see taskscope ps -L)");
  if (f.pid > 0 && f.tid > 0) {
    const int32_t tgid = process_of(f.tid);
    if (tgid > 0 && tgid != f.pid)
      throw Error("-t " + std::to_string(f.tid) + " is not a thread of process " + std::to_string(f.pid) +
                  " (it is one of process " + std::to_string(tgid) + "): nothing would be traced", 2);
  }
}

// Tracer is the tracer the options ask for, and the sched tracer again when it is one (its
// --summary is read at the end).
struct Tracer {
  std::unique_ptr<bpf::EventTracer> events;
  bpf::SchedTracer* sched = nullptr;
};

Tracer make_tracer(const TraceOptions& o) {
  Tracer t;
  if (o.mode == TraceMode::Sched) {
    auto s = std::make_unique<bpf::SchedTracer>(o.filter, o.summary ? bpf::SchedMode::Summary : bpf::SchedMode::Stream);
    t.sched = s.get();
    t.events = std::move(s);
    return t;
  }
  bpf::ProcEvents ev;
  ev.clone = o.mode == TraceMode::Clone;
  ev.exec = o.mode == TraceMode::Exec;
  ev.exit = o.mode == TraceMode::Exit;
  t.events = std::make_unique<bpf::ProcTracer>(o.filter, ev);
  return t;
}

std::string target_text(const bpf::TraceFilter& f, TraceMode mode) {
  std::string s;
  if (f.pid) s += " pid " + std::to_string(f.pid) + (mode == TraceMode::Sched ? "" : " (and its new children)");
  if (f.tid) s += " tid " + std::to_string(f.tid);
  if (!f.comm.empty()) s += " comm " + f.comm;
  return s.empty() ? " all tasks" : s;
}

}  // namespace

int run_trace(Context& ctx, const TraceOptions& o) {
  const uint64_t duration = o.duration.empty() ? 0 : parse_duration_ns(o.duration);
  check_trace_options(o);
  check_target(o.filter);
  const bpf::Support support = bpf::probe_support();
  if (!support.usable) throw Error(support.why);

  StopSignals signals;
  const uint64_t t0 = sys::monotonic_ns();  // TIME(s) counts from here: events can come as soon as a program attaches
  const Tracer made = make_tracer(o);
  bpf::EventTracer& tracer = *made.events;
  const uint64_t deadline = duration ? sys::monotonic_ns() + duration : 0;
  ctx.err << "Tracing " << trace_mode_name(o.mode) << (o.summary ? " (summary)" : "") << " of" << target_text(o.filter, o.mode)
          << " with " << bpf::attach_kind_name(tracer.attach_kind()) << "/ programs"
          << (duration ? "" : "; Ctrl-C to end") << ".\n";
  ctx.err.flush();

  uint64_t events = 0;
  const bool stream = !(o.mode == TraceMode::Sched && o.summary);
  if (stream && !o.json) ctx.out << text_header(o.mode) << '\n';
  const bpf::EventSink sink = [&](const Event& e) {
    ++events;
    if (o.json) ctx.out << json_line(event_json(e)) << '\n';
    else ctx.out << event_text(e, t0) << '\n';
  };
  for (;;) {
    if (g_stop) break;
    const uint64_t now = sys::monotonic_ns();
    if (deadline && now >= deadline) break;
    // Wait up to one round for an early wakeup, then read for at most one round more, never
    // past the deadline: a busy target fills the ring faster than events can be printed, and
    // the ring would never be found empty.
    const uint64_t round_ns = kDrainMs * 1000000ull;
    const uint64_t waited = deadline ? std::min(deadline, now + round_ns) : now + round_ns;
    const uint64_t until = deadline ? std::min(deadline, waited + round_ns) : waited + round_ns;
    const int wait_ms = static_cast<int>((waited - now + 999999) / 1000000);
    tracer.drain(wait_ms, sink, {until, &g_stop});
    check_output(ctx.out);
  }
  // Stop the programs, read what arrived since the last round (within a bound), count the rest.
  tracer.detach();
  tracer.drain(0, sink, {sys::monotonic_ns() + kFinalMs * 1000000ull, nullptr});
  const uint64_t unread = tracer.discard();

  const uint64_t lost = tracer.lost();
  if (made.sched && o.summary) {
    const auto stats = made.sched->summary();
    events = stats.size();
    if (o.json) {
      for (const auto& s : stats) ctx.out << json_line(thread_stats_json(s)) << '\n';
    } else {
      print_sched_table(ctx.out, stats);
      print_sched_hists(ctx.out, stats, o.top);
    }
  }
  const uint64_t elapsed = sys::monotonic_ns() - t0;
  if (o.json) {
    ctx.out << json_line(end_json({o.mode, o.summary, o.filter.pid, events, lost, unread,
                                   bpf::attach_kind_name(tracer.attach_kind()), elapsed}))
            << '\n';
  } else {
    ctx.out << "# " << events << (o.summary ? " threads" : " events") << " in " << short_duration(elapsed) << ", "
            << lost << " lost" << (lost ? " (not recorded: the ring buffer or the thread map was full; -p/-t/--comm trace fewer)" : "");
    if (unread) ctx.out << ", " << unread << " unread (recorded faster than they could be printed; the run ended first)";
    ctx.out << '\n';
  }
  ctx.out.flush();
  return 0;
}

}  // namespace ts::tools
