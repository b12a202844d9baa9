// recorder.cpp: frames from the collector, written as they come.
#include "history/recorder.h"

#include <poll.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <set>
#include <thread>

#include "history/writer.h"
#include "model/error.h"
#include "sys/clock.h"
#include "view/collector.h"

namespace ts::history {

int64_t record(const RecordOptions& opts, int stop_fd, std::ostream& err) {
  Writer writer(opts.path, opts.retention);
  view::CollectorConfig cfg;
  cfg.source = opts.source;
  cfg.delay = std::chrono::milliseconds(static_cast<int64_t>(std::llround(opts.delay_s * 1000)));
  cfg.fields = kAllFields & ~static_cast<Fields>(Field::Layout);
  cfg.events = opts.events;
  cfg.goro = true;
  view::Collector collector(cfg);
  collector.start();
  std::set<std::string> said;  // notes said once
  int64_t written = 0;
  const uint64_t started = sys::monotonic_ns();
  while (opts.samples == 0 || written < opts.samples) {
    pollfd fds[2] = {{collector.fd(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw Error(std::string("poll: ") + std::strerror(errno));
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) break;
    std::shared_ptr<const view::Frame> f = collector.take();
    if (!f) continue;
    // The tracer loads beside the first passes: a recording whose first sample says events_starting
    // would miss the events of its first seconds, so the recorder waits for it (bounded).
    if (written == 0 && f->events_starting && sys::monotonic_ns() - started < 2'000'000'000ull) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      collector.refresh();
      continue;
    }
    // Each kind of note once: "3 process(es) hidden ..." and "4 process(es) hidden ..." are one.
    for (const std::string& n : f->notes) {
      std::string kind = n;
      std::erase_if(kind, [](char c) { return c >= '0' && c <= '9'; });
      if (said.insert(kind).second) err << "taskscope: record: " << n << '\n';
    }
    const uint64_t wall = sys::realtime_ns() - sys::monotonic_ns() + f->taken_ns;
    writer.append(*f, opts.threads, wall);
    ++written;
  }
  return written;
}

}  // namespace ts::history
