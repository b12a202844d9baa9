// bpf_source_test.cpp: the iter/task source against facts the kernel and fixtures report.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "bpf/bpf_common.h"
#include "bpf/bpf_source.h"
#include "model/error.h"
#include "../support/support.h"
#include "proc_peek.h"

using namespace ts;
using ts::bpf::BpfSource;
using ts::test::stat_field;
using ts::test::status_value;
using ts::test::wait_sleeping;

namespace {

// Loaded is a BpfSource or the reason there is none.
struct Loaded {
  std::unique_ptr<BpfSource> src;
  std::string why;
};

Loaded load() {
  Loaded l;
  const bpf::Support s = bpf::probe_support();
  if (!s.usable) {
    l.why = s.why;
    return l;
  }
  try {
    l.src = std::make_unique<BpfSource>();
  } catch (const Error& e) {
    l.why = e.what();
  }
  return l;
}

const Task* find_task(const Process& p, int32_t tid) {
  for (const Task& t : p.tasks)
    if (t.tid == tid) return &t;
  return nullptr;
}

// Parked holds `n` named threads blocked on a condition variable until it is destroyed.
struct Parked {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int started = 0;
  std::vector<int32_t> tids;
  std::vector<std::thread> threads;

  explicit Parked(int n) {
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([this, i] {
        const std::string name = "bpfsnap-" + std::to_string(i);
        prctl(PR_SET_NAME, name.c_str());
        std::unique_lock<std::mutex> lock(mu);
        tids.push_back(static_cast<int32_t>(gettid()));
        ++started;
        cv.notify_all();
        cv.wait(lock, [this] { return done; });
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this, n] { return started == n; });
  }
  ~Parked() {
    {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
    }
    cv.notify_all();
    for (auto& t : threads) t.join();
  }
};

}  // namespace

TEST_CASE("BpfSource sees this process's own threads with their tid, tgid and comm", "[bpf][bpf_source]") {
  Loaded l = load();
  TS_BPF_GATE(l.src != nullptr, l.why);
  Parked parked(3);
  const int32_t me = static_cast<int32_t>(getpid());
  for (int32_t tid : parked.tids) wait_sleeping(me, tid);

  for (bool by_pid : {true, false}) {
    Request req;
    if (by_pid) req.pids = {me};
    const Snapshot s = l.src->snapshot(req);
    CHECK(s.source == "bpf");
    const Process* p = s.find(me);
    REQUIRE(p != nullptr);
    CHECK(p->pid == me);
    CHECK(p->ppid == static_cast<int32_t>(getppid()));
    CHECK(p->uid == getuid());
    CHECK_FALSE(p->kthread);
    REQUIRE(p->leader() != nullptr);
    CHECK(&p->tasks.front() == p->leader());
    CHECK(p->nlwp == static_cast<int32_t>(p->tasks.size()));
    std::lock_guard<std::mutex> lock(parked.mu);
    for (size_t i = 0; i < parked.tids.size(); ++i) {
      const Task* t = find_task(*p, parked.tids[i]);
      REQUIRE(t != nullptr);
      CHECK(t->tgid == me);
      CHECK(t->ppid == static_cast<int32_t>(getppid()));
      CHECK(t->state == 'S');  // blocked on the condition variable
      CHECK(t->comm.rfind("bpfsnap-", 0) == 0);
    }
    if (by_pid) CHECK(s.processes.size() == 1);
    else CHECK(s.processes.size() > 1);
    CHECK(std::is_sorted(s.processes.begin(), s.processes.end(),
                         [](const Process& a, const Process& b) { return a.pid < b.pid; }));
  }
}

TEST_CASE("BpfSource puts a group's threads in tid order when their tids wrapped", "[bpf][bpf_source]") {
  Loaded l = load();
  TS_BPF_GATE(l.src != nullptr, l.why);
  // Threads listed in creation order whose tids do not ascend, as after the pid space wrapped:
  // two threads, then the next pid set below theirs (ns_last_pid, root), then two more.
  Parked first(2);
  const int32_t low = *std::min_element(first.tids.begin(), first.tids.end());
  REQUIRE(low > 400);
  {
    std::ofstream last("/proc/sys/kernel/ns_last_pid");
    last << (low - 300) << std::flush;
    if (!last) {
      WARN("SKIPPED: cannot write /proc/sys/kernel/ns_last_pid (needs root)");
      return;
    }
  }
  Parked second(2);
  const int32_t me = static_cast<int32_t>(getpid());
  REQUIRE(*std::max_element(second.tids.begin(), second.tids.end()) < low);  // the precondition
  for (int32_t tid : first.tids) wait_sleeping(me, tid);
  for (int32_t tid : second.tids) wait_sleeping(me, tid);

  for (bool by_pid : {true, false}) {
    Request req;
    if (by_pid) req.pids = {me};
    const Snapshot s = l.src->snapshot(req);
    const Process* p = s.find(me);
    REQUIRE(p != nullptr);
    REQUIRE(p->tasks.size() >= 5);
    CHECK(p->tasks.front().tid == me);
    CHECK(std::is_sorted(p->tasks.begin() + 1, p->tasks.end(), [](const Task& a, const Task& b) { return a.tid < b.tid; }));
    for (int32_t tid : first.tids) CHECK(find_task(*p, tid) != nullptr);
    for (int32_t tid : second.tids) CHECK(find_task(*p, tid) != nullptr);
  }
}

TEST_CASE("BpfSource reports a fixture's named threads and matches /proc's counters", "[bpf][bpf_source]") {
  Loaded l = load();
  TS_BPF_GATE(l.src != nullptr, l.why);
  test::Fixture fx("bpf_quiet_threads", {"5"});
  const auto facts = nlohmann::json::parse(fx.facts());
  const int32_t pid = facts.at("pid").get<int32_t>();
  REQUIRE(pid == fx.pid());

  wait_sleeping(pid, pid);  // the main thread is on its way to read stdin
  Request req;
  req.pids = {pid};
  const Snapshot s = l.src->snapshot(req);
  const Process* p = s.find(pid);
  REQUIRE(p != nullptr);
  CHECK(p->tasks.size() == facts.at("threads").size() + 1);
  CHECK(p->nlwp == static_cast<int32_t>(facts.at("threads").size() + 1));
  CHECK(p->comm == "bpf_quiet_threa");  // the 15-byte comm of the program
  CHECK(p->cmdline.find("bpf_quiet_threads 5") != std::string::npos);
  CHECK(p->rss_bytes > 0);
  CHECK(p->vsize_bytes >= p->rss_bytes);
  const long tick_ns = 1000000000L / sysconf(_SC_CLK_TCK);
  uint64_t burned_ns = 0;
  nlohmann::json all = facts.at("threads");
  all.push_back({{"tid", pid}, {"name", "bpf_quiet_threa"}, {"burn_ms", 0}});
  for (const auto& th : all) {
    const int32_t tid = th.at("tid").get<int32_t>();
    const Task* t = find_task(*p, tid);
    REQUIRE(t != nullptr);
    CHECK(t->comm == th.at("name").get<std::string>());
    CHECK(t->state == 'S');
    CHECK(t->pcount >= 1);
    // The threads are blocked: /proc must agree exactly on switches, and within a tick on times.
    CHECK(t->nvcsw == status_value(pid, tid, "voluntary_ctxt_switches"));
    CHECK(t->nivcsw == status_value(pid, tid, "nonvoluntary_ctxt_switches"));
    const uint64_t proc_utime = stat_field(pid, tid, 14) * static_cast<uint64_t>(tick_ns);
    CHECK(std::llabs(static_cast<long long>(t->utime_ns / tick_ns * tick_ns) - static_cast<long long>(proc_utime)) <= tick_ns);
    const uint64_t proc_start = stat_field(pid, tid, 22) * static_cast<uint64_t>(tick_ns);
    CHECK(std::llabs(static_cast<long long>(t->start_ns) - static_cast<long long>(proc_start)) <= tick_ns);
    burned_ns += th.at("burn_ms").get<uint64_t>() * 1000000;
  }
  // Each thread burned its share of CPU before blocking: the group time covers it.
  CHECK(p->utime_ns + p->stime_ns >= burned_ns);
  CHECK(p->total_cpu_ns() >= burned_ns);
}

TEST_CASE("BpfSource flags kthreadd as a kernel thread with no address space", "[bpf][bpf_source]") {
  Loaded l = load();
  TS_BPF_GATE(l.src != nullptr, l.why);
  const Snapshot s = l.src->snapshot(Request{});
  const Process* p = s.find(2);
  REQUIRE(p != nullptr);
  CHECK(p->comm == "kthreadd");
  CHECK(p->kthread);
  CHECK(p->ppid == 0);
  CHECK(p->rss_bytes == 0);
  CHECK(p->vsize_bytes == 0);
  CHECK(p->layout.start_code == 0);
  CHECK(p->cmdline.empty());
  REQUIRE(p->leader() != nullptr);
  CHECK(p->leader()->kthread);

  Request no_kthreads;
  no_kthreads.kernel_threads = false;
  const Snapshot u = l.src->snapshot(no_kthreads);
  CHECK(u.find(2) == nullptr);
  CHECK(u.find(static_cast<int32_t>(getpid())) != nullptr);
  for (const Process& q : u.processes) CHECK_FALSE(q.kthread);
}

TEST_CASE("BpfSource reads this process's layout from its mm", "[bpf][bpf_source]") {
  Loaded l = load();
  TS_BPF_GATE(l.src != nullptr, l.why);
  const int32_t me = static_cast<int32_t>(getpid());
  Request req;
  req.pids = {me};
  req.fields = Field::Layout | Field::Memory;
  const Snapshot s = l.src->snapshot(req);
  const Process* p = s.find(me);
  REQUIRE(p != nullptr);
  const auto code = reinterpret_cast<uint64_t>(&load);
  int on_stack = 0;
  const auto stack = reinterpret_cast<uint64_t>(&on_stack);
  CHECK(p->layout.start_code <= code);
  CHECK(code < p->layout.end_code);
  CHECK(p->layout.start_data <= p->layout.end_data);
  CHECK(p->layout.start_brk <= p->layout.brk);
  CHECK(stack < p->layout.start_stack);  // the main thread's stack grows down from there
  CHECK(p->rss_bytes > 0);
  CHECK(p->cmdline.empty());  // not asked
  CHECK(p->user.empty());     // not asked
  CHECK(p->leader()->nvcsw == 0);  // Switches not asked: defaults kept
}

TEST_CASE("BpfSource returns nothing for a pid that does not exist", "[bpf][bpf_source]") {
  Loaded l = load();
  TS_BPF_GATE(l.src != nullptr, l.why);
  Request req;
  req.pids = {0x3ffffff};  // above pid_max's ceiling: never a live pid
  const Snapshot s = l.src->snapshot(req);
  CHECK(s.processes.empty());
}
