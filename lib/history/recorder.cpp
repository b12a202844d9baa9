// recorder.cpp: frames from the collector, written as they come.
#include "history/recorder.h"

#include <cmath>
#include <thread>

#include "history/writer.h"
#include "model/error.h"
#include "sys/clock.h"
#include "sys/heap_trim.h"
#include "view/collector.h"
#include "view/frame_wait.h"
#include "view/go_programs.h"
#include "view/symbol_cache.h"

namespace ts::history {

int64_t record(const RecordOptions& opts, int stop_fd, std::ostream& err) {
  Writer writer(opts.path, opts.retention);
  view::CollectorConfig cfg;
  cfg.source = opts.source;
  cfg.delay = std::chrono::milliseconds(static_cast<int64_t>(std::llround(opts.delay_s * 1000)));
  cfg.fields = kAllFields & ~static_cast<Fields>(Field::Layout);
  cfg.events = opts.events;
  cfg.goro = true;
  cfg.rates = false;  // counters are stored; replay computes the rates (and the dying tasks) from two samples
  cfg.argv_once = true;  // a process's command line is stored once (deltas): read once, not every second
  view::Collector collector(cfg);
  collector.start();
  // The kept Gs' functions are named now: the process may be gone (or its pid another's) when
  // replayed. One ProcSymbols per goro/Go process, read once, dropped when it is gone.
  view::SymbolCache symbols;
  writer.set_names([&symbols](int32_t pid, uint64_t pc) { return symbols.name(pid, pc); });
  view::NoteOnce said;
  sys::HeapTrim heap;  // a service runs for days: a burst of tasks must not keep its memory
  int64_t written = 0;
  const uint64_t started = sys::monotonic_ns();
  while (opts.samples == 0 || written < opts.samples) {
    std::shared_ptr<const view::Frame> f = view::wait_frame(collector, stop_fd);
    if (!f) break;
    // The tracer loads beside the first passes: a recording whose first sample says events_starting
    // would miss the events of its first seconds, so the recorder waits for it (bounded).
    if (written == 0 && f->events_starting && sys::monotonic_ns() - started < 2'000'000'000ull) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      collector.refresh();
      continue;
    }
    for (const std::string& n : f->notes)  // each kind once: "3 hidden" and "4 hidden" are one
      if (said.first(n)) err << "taskscope: record: " << n << '\n';
    symbols.retain(*f);
    const uint64_t wall = sys::realtime_ns() - sys::monotonic_ns() + f->taken_ns;
    writer.append(f, opts.threads, wall);
    ++written;
    heap.after(f->snap.task_count());
    if (opts.go) collector.set_gmp_pids(view::go_programs(*f));  // the next passes read them too
  }
  return written;
}

}  // namespace ts::history
