// proc_files_test.cpp: the named path's files kept open across passes (proc_files.h) read what
// fresh path reads do, lose exited tasks and processes with their fds, and keep to their bound.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "procfs/proc_files.h"
#include "procfs/proc_source.h"
#include "procfs/proc_text.h"
#include "sys/clock.h"
#include "../support/support.h"
#include "settle.h"

using namespace ts;
using nlohmann::json;
using procfs::ProcFiles;

namespace {

// open_fds() counts this process's open fds (the listing's own not counted).
size_t open_fds() {
  size_t n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return 0;
  while (const dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n - 1;
}

// Workers are threads of this process that a test steps between passes: on each step() the
// first one sleeps 1 ms five times and spins for 30 ms of CPU time (its switch counts and CPU time move), the
// others wake once; stop(i) ends thread i.
class Workers {
 public:
  explicit Workers(int n) : stop_(static_cast<size_t>(n)), tids_(static_cast<size_t>(n)) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this, i] { run(i); });
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return started_ == static_cast<int>(threads_.size()); });
  }
  ~Workers() {
    for (size_t i = 0; i < threads_.size(); ++i) stop(i);
  }

  // step() lets every live thread do its work once and returns when all have.
  void step() {
    std::unique_lock<std::mutex> lock(mu_);
    ++gen_;
    acked_ = 0;
    cv_.notify_all();
    cv_.wait(lock, [&] { return acked_ == live_; });
  }

  // stop() ends thread i and waits (up to 5 s) until the kernel has released its task: join()
  // returns when the thread's tid is cleared, a moment before its task leaves /proc.
  void stop(size_t i) {
    if (!threads_[i].joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_[i] = true;
      --live_;
    }
    cv_.notify_all();
    threads_[i].join();
    const std::string task = "/proc/self/task/" + std::to_string(tids_[i]);
    for (int k = 0; k < 5000 && access(task.c_str(), F_OK) == 0; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  // tid() is thread i's task id.
  int32_t tid(size_t i) const { return tids_[i]; }

 private:
  void run(int i) {
    std::unique_lock<std::mutex> lock(mu_);
    tids_[static_cast<size_t>(i)] = static_cast<int32_t>(syscall(SYS_gettid));
    ++started_;
    ++live_;
    cv_.notify_all();
    uint64_t seen = gen_;
    for (;;) {
      cv_.wait(lock, [&] { return stop_[static_cast<size_t>(i)] || gen_ != seen; });
      if (stop_[static_cast<size_t>(i)]) return;
      seen = gen_;
      if (i == 0) {
        lock.unlock();
        for (int k = 0; k < 5; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        const uint64_t until = sys::thread_cpu_ns() + 30'000'000;  // CPU time, however loaded the machine
        std::atomic<uint64_t> spin{0};
        while (sys::thread_cpu_ns() < until) spin.fetch_add(1, std::memory_order_relaxed);
        lock.lock();
      }
      ++acked_;
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
  std::vector<bool> stop_;
  std::vector<int32_t> tids_;
  int started_ = 0, live_ = 0, acked_ = 0;
  uint64_t gen_ = 0;
};

// named() asks `src` for process `pid` with every field the recorder asks for.
std::optional<Process> named(Source& src, int32_t pid) {
  Request req;
  req.fields = kAllFields & ~static_cast<Fields>(Field::Layout);
  req.pids = {pid};
  Snapshot s = src.snapshot(req);
  if (s.processes.empty()) return std::nullopt;
  return std::move(s.processes.front());
}

// check_same() checks that `kept` (read first, through kept files) is what a fresh source's path
// reads gave right after (`fresh`): the same tasks and fields; counters may only have moved on.
void check_same(const Process& kept, const Process& fresh) {
  CHECK(kept.pid == fresh.pid);
  CHECK(kept.ppid == fresh.ppid);
  CHECK(kept.comm == fresh.comm);
  CHECK(kept.nlwp == fresh.nlwp);
  CHECK(kept.cmdline == fresh.cmdline);
  CHECK(kept.uid == fresh.uid);
  CHECK(kept.user == fresh.user);
  CHECK(kept.rss_bytes > 0);
  CHECK(kept.utime_ns + kept.stime_ns <= fresh.utime_ns + fresh.stime_ns);
  REQUIRE(kept.tasks.size() == fresh.tasks.size());
  for (size_t k = 0; k < kept.tasks.size(); ++k) {
    const Task &x = kept.tasks[k], &y = fresh.tasks[k];
    INFO("tid " << x.tid);
    CHECK(x.tid == y.tid);
    CHECK(x.tgid == y.tgid);
    CHECK(x.ppid == y.ppid);
    CHECK(x.comm == y.comm);
    CHECK(x.start_ns == y.start_ns);
    CHECK(x.policy == y.policy);
    CHECK(x.nice == y.nice);
    CHECK(x.prio == y.prio);
    CHECK(x.utime_ns <= y.utime_ns);
    CHECK(x.stime_ns <= y.stime_ns);
    CHECK(x.nvcsw <= y.nvcsw);
    CHECK(x.nivcsw <= y.nivcsw);
    CHECK(x.run_delay_ns <= y.run_delay_ns);
    CHECK(x.pcount <= y.pcount);
  }
}

const Task* task_of(const Process& p, int32_t tid) {
  for (const Task& t : p.tasks)
    if (t.tid == tid) return &t;
  return nullptr;
}

}  // namespace

TEST_CASE("Named passes through kept files read what fresh path reads do, pass after pass", "[procfs][proc_files]") {
  Workers w(4);
  const size_t base = open_fds();
  auto kept = make_proc_source();
  std::optional<Process> last;
  for (int pass = 0; pass < 5; ++pass) {
    INFO("pass " << pass);
    w.step();
    const std::optional<Process> k = named(*kept, getpid());
    auto fresh_src = make_proc_source();
    const std::optional<Process> f = named(*fresh_src, getpid());
    REQUIRE(k);
    REQUIRE(f);
    check_same(*k, *f);
    for (size_t i = 0; i < 4; ++i) CHECK(task_of(*k, w.tid(i)) != nullptr);
    // The stepped thread's counters move in the kept reads (files read again, not remembered).
    const Task* now = task_of(*k, w.tid(0));
    REQUIRE(now != nullptr);
    if (last) {
      const Task* before = task_of(*last, w.tid(0));
      REQUIRE(before != nullptr);
      CHECK(now->nvcsw >= before->nvcsw + 5);
      CHECK(now->pcount > before->pcount);
      CHECK(now->utime_ns + now->stime_ns > before->utime_ns + before->stime_ns);
    }
    last = k;
  }
  // The files stay open across passes (at least each task's stat and schedstat), and close with the source.
  CHECK(open_fds() >= base + 2 * last->tasks.size());
  kept.reset();
  CHECK(open_fds() == base);
}

TEST_CASE("A thread that exits between named passes is gone from the next, its files closed", "[procfs][proc_files]") {
  Workers w(4);
  auto kept = make_proc_source();
  const std::optional<Process> a = named(*kept, getpid());
  REQUIRE(a);
  REQUIRE(task_of(*a, w.tid(2)) != nullptr);
  const size_t held = open_fds();
  const int32_t gone = w.tid(2);
  w.stop(2);
  const std::optional<Process> b = named(*kept, getpid());
  REQUIRE(b);
  CHECK(task_of(*b, gone) == nullptr);
  CHECK(b->tasks.size() == a->tasks.size() - 1);
  CHECK(open_fds() < held);  // its stat, schedstat and status
  auto fresh_src = make_proc_source();
  const std::optional<Process> f = named(*fresh_src, getpid());
  REQUIRE(f);
  check_same(*b, *f);
}

TEST_CASE("A process that exits between named passes is gone from the next, its files closed", "[procfs][proc_files]") {
  const size_t base = open_fds();
  auto kept = make_proc_source();
  int32_t pid = 0;
  {
    test::Fixture fx("named_threads", {"3"});
    pid = json::parse(fx.facts())["pid"];
    REQUIRE(test::wait_all_asleep(pid));
    for (int pass = 0; pass < 2; ++pass) {
      const std::optional<Process> p = named(*kept, pid);
      REQUIRE(p);
      CHECK(p->tasks.size() == 4);
    }
    CHECK(open_fds() > base);
  }  // the fixture exits and is reaped
  CHECK_FALSE(named(*kept, pid).has_value());
  CHECK(open_fds() == base);
}

TEST_CASE("Named passes of more tasks than the bound read them all, with at most the bound's fds", "[procfs][proc_files]") {
  const int n = static_cast<int>(ProcFiles::kMaxTasks) + 16;
  test::Fixture fx("named_threads", {std::to_string(n)});
  const json facts = json::parse(fx.facts());
  const int32_t pid = facts["pid"];
  REQUIRE(test::wait_all_asleep(pid));
  const size_t base = open_fds();
  auto kept = make_proc_source();
  for (int pass = 0; pass < 3; ++pass) {
    INFO("pass " << pass);
    const std::optional<Process> k = named(*kept, pid);
    auto fresh_src = make_proc_source();
    const std::optional<Process> f = named(*fresh_src, pid);
    REQUIRE(k);
    REQUIRE(f);
    CHECK(k->tasks.size() == static_cast<size_t>(n + 1));
    check_same(*k, *f);
    for (const json& ft : facts["threads"]) {
      const Task* t = task_of(*k, ft["tid"].get<int32_t>());
      REQUIRE(t != nullptr);
      CHECK(t->comm == ft["name"].get<std::string>());
    }
    fresh_src.reset();
    const size_t held = open_fds() - base;
    CHECK(held >= 2 * ProcFiles::kMaxTasks);  // the bound is used...
    CHECK(held <= 4 + 3 * ProcFiles::kMaxTasks);  // ...and kept to
  }
}

TEST_CASE("ProcFiles: a kept task file of an exited task reads nothing, and is closed at the pass's end", "[procfs][proc_files]") {
  Workers w(3);
  ProcFiles files;
  std::vector<int32_t> tids;
  char buf[4096];
  files.begin_pass();
  REQUIRE(files.task_ids(getpid(), tids));
  for (int32_t tid : tids) REQUIRE(files.read(getpid(), tid, procfs::TaskFile::Stat, buf, sizeof buf) > 0);
  files.end_pass();
  CHECK(files.open_files() == 1 + tids.size());  // the task directory and each task's stat
  const int32_t gone = w.tid(1);
  w.stop(1);
  files.begin_pass();
  CHECK(files.read(getpid(), gone, procfs::TaskFile::Stat, buf, sizeof buf) == -1);  // not the text it had
  std::vector<int32_t> now;
  REQUIRE(files.task_ids(getpid(), now));
  CHECK(std::find(now.begin(), now.end(), gone) == now.end());
  for (int32_t tid : now) CHECK(files.read(getpid(), tid, procfs::TaskFile::Stat, buf, sizeof buf) > 0);
  files.end_pass();
  CHECK(files.open_files() == 1 + now.size());
  CHECK(now.size() == tids.size() - 1);
}

TEST_CASE("ProcFiles keeps at most kMaxGroups processes' files past a pass", "[procfs][proc_files]") {
  // This process's threads stand for processes: /proc/TID is a hidden but readable entry.
  const size_t n = ProcFiles::kMaxGroups + 4;
  Workers w(static_cast<int>(n));
  std::vector<int32_t> pids;
  for (size_t i = 0; i < n; ++i) pids.push_back(w.tid(i));
  ProcFiles files;
  char buf[8192];
  std::vector<int32_t> tids;
  size_t read = 0;
  files.begin_pass();
  for (int32_t pid : pids) read += files.read(pid, procfs::ProcessFile::Status, buf, sizeof buf) > 0 && files.task_ids(pid, tids);
  CHECK(files.open_files() >= 2 * read);  // in the pass: every one's status and task directory
  files.end_pass();
  CHECK(read == n);
  CHECK(files.open_files() <= 2 * ProcFiles::kMaxGroups);
  CHECK(files.open_files() > 0);
  files.begin_pass();  // a pass that names none of them closes them all
  files.end_pass();
  CHECK(files.open_files() == 0);
}
