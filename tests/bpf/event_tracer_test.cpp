// event_tracer_test.cpp: the EventTracer interface over the real tracers: fd() is a descriptor a
// reader can poll beside others; it turns readable when a burst fills half the ring (producers
// wake the reader no earlier) and is quiet again once drained.
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <memory>

#include <catch2/catch.hpp>

#include "../support/support.h"
#include "bpf/bpf_common.h"
#include "bpf/event_tracer.h"
#include "bpf/proc_tracer.h"
#include "bpf/sched_tracer.h"
#include "model/error.h"

using namespace ts;

namespace {

void* noop(void*) { return nullptr; }

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

}  // namespace

TEST_CASE("EventTracer fd() turns readable when a burst fills half the ring, quiet once drained", "[trace][bpf]") {
  const bpf::Support s = bpf::probe_support();
  TS_BPF_GATE(s.usable, s.why);
  std::unique_ptr<bpf::EventTracer> tracer;
  try {
    tracer = std::make_unique<bpf::ProcTracer>(bpf::TraceFilter{getpid(), 0, ""}, bpf::ProcEvents{true, false, true});
  } catch (const Error& e) {
    TS_BPF_GATE(false, e.what());
  }
  const int fd = tracer->fd();
  REQUIRE(fd >= 0);
  CHECK_FALSE(readable(fd));
  // Each thread records a clone and an exit (72 bytes each): about 15,000 fill half of the 4 MiB
  // ring. Stop at the first wakeup; 100,000 would fill it several times over.
  int created = 0;
  while (created < 100000 && !readable(fd)) {
    for (int i = 0; i < 100; ++i, ++created) {
      pthread_t t;
      REQUIRE(pthread_create(&t, nullptr, noop, nullptr) == 0);
      pthread_join(t, nullptr);
    }
  }
  INFO(created << " threads created");
  REQUIRE(readable(fd));
  CHECK(created > 1000);  // not woken per event
  size_t clones = 0;
  const bpf::EventSink sink = [&](const Event& e) { clones += std::holds_alternative<CloneEvent>(e); };
  while (tracer->drain(0, sink) > 0) {
  }
  CHECK(clones == static_cast<size_t>(created));
  CHECK_FALSE(readable(fd));
  CHECK(tracer->lost() == 0);
  tracer->detach();
  CHECK(tracer->discard() == 0);
}

TEST_CASE("EventTracer: the sched tracer has a pollable fd in both modes", "[trace][bpf]") {
  const bpf::Support s = bpf::probe_support();
  TS_BPF_GATE(s.usable, s.why);
  for (bpf::SchedMode mode : {bpf::SchedMode::Stream, bpf::SchedMode::Summary}) {
    std::unique_ptr<bpf::EventTracer> tracer;
    try {
      tracer = std::make_unique<bpf::SchedTracer>(bpf::TraceFilter{getpid(), 0, ""}, mode);
    } catch (const Error& e) {
      TS_BPF_GATE(false, e.what());
    }
    const int fd = tracer->fd();
    CHECK(fd >= 0);
    pollfd p{fd, POLLIN, 0};
    CHECK(poll(&p, 1, 0) >= 0);
    CHECK((p.revents & (POLLERR | POLLNVAL)) == 0);
    tracer->detach();
  }
}
