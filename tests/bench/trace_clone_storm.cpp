// trace_clone_storm.cpp: `taskscope trace clone` under a clone storm: threads created and joined as
// fast as one thread can, traced with -p self. Every creation must be seen (events == threads, 0
// lost); the cost per thread is printed beside the same storm untraced (the anchor, same run).
#include <pthread.h>
#include <unistd.h>

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

// storm() creates and joins kThreads threads one after another; returns ns per thread.
double storm() {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kThreads; ++i) {
    pthread_t t;
    if (pthread_create(&t, nullptr, noop, nullptr) != 0) throw std::runtime_error("pthread_create failed");
    pthread_join(t, nullptr);
  }
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / kThreads;
}

}  // namespace

int main() {
  std::printf("clone storm: %d threads created and joined one at a time\n", kThreads);
  storm();  // warm-up: stacks cached, pages touched
  const double anchor = storm();
  std::printf("  %-40s %8.0f ns/thread  1.000x\n", "no tracing (anchor)", anchor);
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
    const double ns = storm();
    stop = true;
    reader.join();
    threads_seen -= 1;  // the reader thread itself was created under tracing
    std::printf("  %-40s %8.0f ns/thread  %.3fx\n", "trace clone -p self", ns, ns / anchor);
    std::printf("  events seen %llu of %d threads created (%s), %llu other, %llu lost, %s/ programs\n",
                static_cast<unsigned long long>(threads_seen), kThreads, threads_seen == kThreads ? "all" : "MISSING",
                static_cast<unsigned long long>(other), static_cast<unsigned long long>(tracer.lost()),
                ts::bpf::attach_kind_name(tracer.attach_kind()));
    return threads_seen == kThreads && tracer.lost() == 0 ? 0 : 1;
  } catch (const ts::Error& e) {
    std::printf("  trace clone: not measured: %s\n", e.what());
    return 0;
  }
}
