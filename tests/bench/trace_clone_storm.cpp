// trace_clone_storm.cpp: `taskscope trace clone` under a clone storm: threads created and joined as
// fast as one thread can, traced with -p self. Every creation must be seen (events == threads, 0
// lost); the cost per thread is printed beside the same storm untraced (the anchor, same run).
#include <pthread.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "bpf/bpf_common.h"
#include "bpf/proc_tracer.h"
#include "model/error.h"

namespace {

constexpr int kThreads = 20000;

void* noop(void*) { return nullptr; }

constexpr int kReps = 3;

// Cost is a storm's price per thread: CPU time of this process (the clone hook runs in the
// parent, so its cost lands here, while other load on the machine does not) and wall time.
struct Cost {
  double cpu_ns = 0, wall_ns = 0;
};

double process_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// storm() creates and joins kThreads threads one after another, kReps times; returns the
// cheapest run's cost per thread (noise only ever adds).
Cost storm() {
  Cost best{1e18, 1e18};
  for (int r = 0; r < kReps; ++r) {
    const double c0 = process_cpu_ns();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kThreads; ++i) {
      pthread_t t;
      if (pthread_create(&t, nullptr, noop, nullptr) != 0) throw std::runtime_error("pthread_create failed");
      pthread_join(t, nullptr);
    }
    const double wall = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    best.cpu_ns = std::min(best.cpu_ns, (process_cpu_ns() - c0) / kThreads);
    best.wall_ns = std::min(best.wall_ns, wall / kThreads);
  }
  return best;
}

void row(const char* what, Cost c, Cost anchor) {
  std::printf("  %-28s %8.0f cpu-ns/thread %6.3fx   %8.0f wall-ns/thread %6.3fx\n", what, c.cpu_ns,
              c.cpu_ns / anchor.cpu_ns, c.wall_ns, c.wall_ns / anchor.wall_ns);
}

}  // namespace

int main() {
  std::printf("clone storm: %d threads created and joined one at a time, best of %d\n", kThreads, kReps);
  storm();  // warm-up: stacks cached, pages touched
  const Cost anchor = storm();
  row("no tracing (anchor)", anchor, anchor);
  const auto support = ts::bpf::probe_support();
  if (!support.usable) {
    std::printf("  trace clone: not measured: %s\n", support.why.c_str());
    return 0;
  }
  try {
    ts::bpf::ProcTracer tracer({getpid(), 0, ""}, ts::bpf::ProcEvents{true, false, false});
    std::atomic<bool> stop{false};
    uint64_t threads_seen = 0, other = 0;
    std::thread reader([&] {
      const ts::bpf::EventSink sink = [&](const ts::Event& e) {
        const auto* c = std::get_if<ts::CloneEvent>(&e);
        if (c && c->parent_pid == getpid() && c->child_pid == getpid()) ++threads_seen;
        else ++other;
      };
      while (!stop) tracer.drain(100, sink);
      tracer.drain(0, sink);
    });
    const Cost ns = storm();
    stop = true;
    reader.join();
    threads_seen -= 1;  // the reader thread itself was created under tracing
    row("trace clone -p self", ns, anchor);
    std::printf("  events seen %llu of %d threads created (%s), %llu other, %llu lost, %s/ programs\n",
                static_cast<unsigned long long>(threads_seen), kThreads * kReps,
                threads_seen == kThreads * kReps ? "all" : "MISSING",
                static_cast<unsigned long long>(other), static_cast<unsigned long long>(tracer.lost()),
                ts::bpf::attach_kind_name(tracer.attach_kind()));
    return threads_seen == static_cast<uint64_t>(kThreads) * kReps && tracer.lost() == 0 ? 0 : 1;
  } catch (const ts::Error& e) {
    std::printf("  trace clone: not measured: %s\n", e.what());
    return 0;
  }
}
