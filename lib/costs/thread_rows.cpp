// thread_rows.cpp: what a thread costs.
#include "costs/thread_rows.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>

#include "costs/probe.h"
#include "costs/watch.h"
#include "model/error.h"

namespace ts::costs {

namespace {

void* nothing(void*) { return nullptr; }

void create_join() {
  pthread_t t;
  if (pthread_create(&t, nullptr, nothing, nullptr) != 0) throw Error("bench: pthread_create failed");
  pthread_join(t, nullptr);
}

void futex_wait(std::atomic<uint32_t>* w, uint32_t seen) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(w), FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr, 0);
}

void futex_wake(std::atomic<uint32_t>* w) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(w), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

// Turn is the futex word two threads hand back and forth: kPing lets the partner run, kPong
// hands back, kStop ends the partner.
enum Turn : uint32_t { kIdle = 0, kPing = 1, kPong = 2, kStop = 3 };

// wait_for() blocks on the word until it holds one of the two values; returns it.
uint32_t wait_for(std::atomic<uint32_t>& w, uint32_t a, uint32_t b) {
  for (;;) {
    const uint32_t v = w.load(std::memory_order_acquire);  // pairs with the partner's store-release
    if (v == a || v == b) return v;
    futex_wait(&w, v);
  }
}

struct Partner {
  std::atomic<uint32_t> word{kIdle};
  std::atomic<pid_t> tid{0};
};

void* partner_main(void* p) {
  auto* s = static_cast<Partner*>(p);
  s->tid.store(pid_t(syscall(SYS_gettid)));
  futex_wake(reinterpret_cast<std::atomic<uint32_t>*>(&s->tid));
  // Every wait_for that blocks is one voluntary switch; the last one lasts until kStop.
  while (wait_for(s->word, kPing, kStop) == kPing) {
    s->word.store(kPong, std::memory_order_release);
    futex_wake(&s->word);
  }
  return nullptr;
}

// futex_pingpong() is the switch probe: the main thread and a partner hand a futex word back and
// forth, two kernel switches per round trip (a block, or a preemption by the wakeup).
int futex_pingpong(ProbeIo& io, int rounds, int trips) {
  Partner s;
  pthread_t t;
  if (pthread_create(&t, nullptr, partner_main, &s) != 0) throw Error("bench: pthread_create failed");
  while (s.tid.load() == 0) futex_wait(reinterpret_cast<std::atomic<uint32_t>*>(&s.tid), 0);
  io.report({{"tasks", {{getpid(), getpid()}, {getpid(), s.tid.load()}}}});
  if (!io.wait_go()) return 1;
  const auto rt = timed_rounds(rounds, trips, [&] {
    for (int i = 0; i < trips; ++i) {
      s.word.store(kPing, std::memory_order_release);
      futex_wake(&s.word);
      wait_for(s.word, kPong, kPong);
    }
  });
  io.report({{"roundtrip_ns", rt}, {"switches", 2L * (rounds + 1) * trips}});
  io.wait_go();  // the one protocol wait in the window (the partner's last wait is one of its own)
  s.word.store(kStop, std::memory_order_release);
  futex_wake(&s.word);
  pthread_join(t, nullptr);
  return 0;
}

// parked_threads() is the memory probe: N threads asleep in read(2) on a pipe nobody writes.
int parked_threads(ProbeIo& io, int n) {
  int p[2];
  if (pipe(p) != 0) throw Error("bench: cannot create a pipe");
  io.report(nlohmann::json::object());
  if (!io.wait_go()) return 1;
  std::vector<pthread_t> threads(static_cast<size_t>(n));
  auto park = [](void* fd) -> void* {
    char c;
    while (read(int(reinterpret_cast<intptr_t>(fd)), &c, 1) > 0) {
    }
    return nullptr;
  };
  for (pthread_t& t : threads)
    if (pthread_create(&t, nullptr, park, reinterpret_cast<void*>(intptr_t(p[0]))) != 0)
      throw Error("bench: pthread_create failed");
  pthread_attr_t attr;
  size_t stack = 0;
  if (pthread_getattr_np(threads[0], &attr) == 0) {
    pthread_attr_getstacksize(&attr, &stack);
    pthread_attr_destroy(&attr);
  }
  io.report({{"units", n}, {"stack_bytes", stack}});
  io.wait_go();
  close(p[1]);
  for (pthread_t& t : threads) pthread_join(t, nullptr);
  return 0;
}

}  // namespace

CostRow measure_thread_row(const Plan& plan, Observer& obs) {
  CostRow row = make_row("thread", "thread", "thread", "medium", "medium", "pthread_create+join");
  row.create_ns = measure_create(plan.create_cpus, plan.rounds, plan.thread_batch, "pthread_create", [&] {
    for (int i = 0; i < plan.thread_batch; ++i) create_join();
  });

  row.switch_how = row.roundtrip_how = "futex";
  Probe sw = Probe::fork_fn({plan.switch_cpu}, [&](ProbeIo& io) { return futex_pingpong(io, plan.rounds, plan.trips); });
  fill_pingpong(row, watch_switches(sw, obs, "futex ping-pong", 1));

  row.memory_how = "threads parked in read(2)";
  Probe idle = Probe::fork_fn({}, [&](ProbeIo& io) { return parked_threads(io, plan.park_threads); });
  const IdleMemory m = watch_idle_memory(idle, obs, "parked threads");
  row.rss_bytes = m.per_unit;
  row.rss_units = m.units;
  row.reserved_bytes = m.result.at("stack_bytes").get<uint64_t>();
  row.reserved_how = "thread stack (ulimit -s)";
  return row;
}

}  // namespace ts::costs
