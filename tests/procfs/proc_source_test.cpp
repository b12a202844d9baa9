// proc_source_test.cpp: ProcSource against fixtures that report their own threads.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "model/error.h"
#include "procfs/proc_source.h"
#include "procfs/proc_text.h"
#include "sources/make_source.h"
#include "../support/support.h"
#include "settle.h"

using namespace ts;
using nlohmann::json;

TEST_CASE("ProcSource sees a fixture's named threads, leader first, all asleep", "[procfs]") {
  for (int n : {0, 1, 5}) {
    test::Fixture fx("named_threads", {std::to_string(n)});
    const json facts = json::parse(fx.facts());
    const int32_t pid = facts["pid"];
    REQUIRE(test::wait_all_asleep(pid));
    auto src = make_proc_source();
    CHECK(src->name() == "proc");
    Request req;
    req.pids = {pid};
    const Snapshot snap = src->snapshot(req);
    CHECK(snap.source == "proc");
    REQUIRE(snap.processes.size() == 1);
    const Process& p = snap.processes[0];
    INFO("n = " << n);
    CHECK(p.pid == pid);
    CHECK(p.ppid == getpid());
    CHECK(p.comm == "named_threads");
    CHECK(p.nlwp == n + 1);
    CHECK(p.user == "root");  // the tests run as root, as the fixture does
    CHECK(p.cmdline == test::fixture_path("named_threads") + " " + std::to_string(n));
    CHECK(p.rss_bytes > 0);
    CHECK(p.vsize_bytes >= p.rss_bytes);
    REQUIRE(p.tasks.size() == static_cast<size_t>(n + 1));
    REQUIRE(p.leader() != nullptr);
    CHECK(&p.tasks.front() == p.leader());
    CHECK(p.tasks.front().comm == "named_threads");
    for (size_t i = 0; i < facts["threads"].size(); ++i) {
      const json& ft = facts["threads"][i];
      const Task* t = nullptr;
      for (const Task& x : p.tasks)
        if (x.tid == ft["tid"].get<int32_t>()) t = &x;
      REQUIRE(t != nullptr);
      CHECK(t->comm == ft["name"].get<std::string>());
      CHECK(t->tgid == pid);
      CHECK_FALSE(t->is_leader());
      CHECK(procfs::tgid_of(t->tid) == pid);
    }
    // The fixture inherits our nice value (the suite may run under `nice`).
    const int nice = getpriority(PRIO_PROCESS, 0);
    for (const Task& t : p.tasks) {
      CHECK(t.state == 'S');
      CHECK(t.cpu >= 0);
      CHECK(t.policy == SchedPolicy::Other);
      CHECK(t.prio == 20 + nice);
      CHECK(t.nice == nice);
      CHECK(t.start_ns > 0);
      CHECK(t.nvcsw + t.nivcsw > 0);  // every thread blocked at least once on its way to sleep
      CHECK_FALSE(t.kthread);
    }
    // Switches of a process row are the sum over its threads.
    uint64_t sum = 0;
    for (const Task& t : p.tasks) sum += t.nvcsw;
    CHECK(p.total_nvcsw() == sum);
  }
}

TEST_CASE("ProcSource fills only what the Request asks for", "[procfs]") {
  test::Fixture fx("named_threads", {"2"});
  const int32_t pid = json::parse(fx.facts())["pid"];
  auto src = make_proc_source();
  Request req;
  req.pids = {pid};
  req.fields = static_cast<Fields>(Field::Ids);
  const Snapshot snap = src->snapshot(req);
  REQUIRE(snap.processes.size() == 1);
  const Process& p = snap.processes[0];
  CHECK(p.tasks.size() == 3);
  CHECK(p.cmdline.empty());
  CHECK(p.user.empty());
  CHECK(p.rss_bytes == 0);
  for (const Task& t : p.tasks) {
    CHECK(t.state == '?');
    CHECK(t.nvcsw == 0);
    CHECK(t.start_ns == 0);
  }
}

TEST_CASE("ProcSource reads run-queue delay from each task's schedstat when asked", "[procfs]") {
  test::Fixture fx("named_threads", {"2"});
  const int32_t pid = json::parse(fx.facts())["pid"];
  REQUIRE(test::wait_all_asleep(pid));
  auto src = make_proc_source();
  Request req;
  req.pids = {pid};
  req.fields = Field::Ids | Field::Delay;
  const Snapshot snap = src->snapshot(req);
  REQUIRE(has(snap.fields, Field::Delay));  // this kernel has CONFIG_SCHED_INFO, as the CI VM's
  REQUIRE(snap.processes.size() == 1);
  REQUIRE(snap.processes[0].tasks.size() == 3);
  for (const Task& t : snap.processes[0].tasks) {
    INFO("tid " << t.tid);
    // Asleep: the counters stand still, so they are exactly the file's.
    char path[64], buf[128];
    std::snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", pid, t.tid);
    const ssize_t n = procfs::read_small(path, buf, sizeof buf);
    procfs::SchedStat ss;
    REQUIRE((n > 0 && procfs::parse_schedstat(std::string_view(buf, static_cast<size_t>(n)), ss)));
    CHECK(t.pcount > 0);  // every thread ran to reach its sleep
    CHECK(t.pcount == ss.pcount);
    CHECK(t.run_delay_ns == ss.run_delay_ns);
  }
  // Not asked: not read (the fields say so, the counters stay 0).
  req.fields = static_cast<Fields>(Field::Ids);
  const Snapshot plain = src->snapshot(req);
  CHECK_FALSE(has(plain.fields, Field::Delay));
  for (const Task& t : plain.processes.at(0).tasks) CHECK(t.pcount == 0);
}

TEST_CASE("ProcSource lists every process, kernel threads only when asked", "[procfs]") {
  auto src = make_proc_source();
  Request all;
  all.fields = Field::Ids | Field::State;
  const Snapshot snap = src->snapshot(all);
  REQUIRE(snap.find(getpid()) != nullptr);
  REQUIRE(snap.find(2) != nullptr);  // kthreadd
  CHECK(snap.find(2)->kthread);
  CHECK(snap.find(2)->cmdline.empty());
  for (size_t i = 1; i < snap.processes.size(); ++i) CHECK(snap.processes[i - 1].pid < snap.processes[i].pid);
  CHECK(snap.boot_time_unix_ns > 1000000000ull * 1600000000ull);  // after 2020
  Request user_only = all;
  user_only.kernel_threads = false;
  const Snapshot u = src->snapshot(user_only);
  CHECK(u.find(2) == nullptr);
  CHECK(u.find(getpid()) != nullptr);
  for (const Process& p : u.processes) CHECK_FALSE(p.kthread);
}

TEST_CASE("ProcSource: unknown pids and thread ids are simply absent", "[procfs]") {
  test::Fixture fx("named_threads", {"1"});
  const json facts = json::parse(fx.facts());
  auto src = make_proc_source();
  Request req;
  req.pids = {facts["threads"][0]["tid"].get<int32_t>(), 0, -3, 999999999};
  const Snapshot snap = src->snapshot(req);
  CHECK(snap.processes.empty());
}

TEST_CASE("ProcSource fills the address layout when asked", "[procfs]") {
  auto src = make_proc_source();
  Request req;
  req.pids = {getpid()};
  req.fields = Field::Ids | Field::Layout;
  const Snapshot snap = src->snapshot(req);
  REQUIRE(snap.processes.size() == 1);
  const AddressLayout& l = snap.processes[0].layout;
  CHECK(l.start_code > 0);
  CHECK(l.end_code > l.start_code);
  CHECK(l.end_data >= l.start_data);
  CHECK(l.start_brk >= l.end_data);
  CHECK(l.start_stack > l.start_brk);
}

TEST_CASE("Snapshots of a process whose threads churn never fail", "[procfs][churn]") {
  test::Fixture fx("thread_churn");
  const int32_t pid = json::parse(fx.facts())["pid"];
  auto src = make_proc_source();
  Request req;
  for (int i = 0; i < 50; ++i) {
    req.pids = i % 2 ? std::vector<int32_t>{pid} : std::vector<int32_t>{};
    Snapshot snap;
    REQUIRE_NOTHROW(snap = src->snapshot(req));
    const Process* p = snap.find(pid);
    REQUIRE(p != nullptr);
    CHECK(p->tasks.size() >= 1);  // the leader never exits; churners come and go
    for (const Task& t : p->tasks) CHECK(t.tgid == pid);
  }
}

TEST_CASE("make_source builds /proc, explains Auto, and parses kinds", "[procfs]") {
  std::string note;
  auto a = make_source(SourceKind::Auto, &note);
  // Auto says why it did not pick BPF, and says nothing when it did.
  CHECK(note.empty() == (a->name() == "bpf"));
  CHECK(make_source(SourceKind::Proc)->name() == "proc");
  CHECK(parse_source_kind("auto") == SourceKind::Auto);
  CHECK(parse_source_kind("proc") == SourceKind::Proc);
  CHECK(parse_source_kind("bpf") == SourceKind::Bpf);
  try {
    parse_source_kind("kernel");
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(e.status() == 2);
    CHECK(std::string(e.what()).find("kernel") != std::string::npos);
  }
}

TEST_CASE("ProcSource gives the leader its own CPU time, not the group's", "[procfs]") {
  // Worker threads burn 5, 10, 15 ms; the leader burns none. /proc/PID/stat holds the group's
  // total, /proc/PID/task/PID/stat the leader's own: the leader row must show the latter.
  test::Fixture fx("bpf_quiet_threads", {"3"});
  const int32_t pid = json::parse(fx.facts())["pid"];
  auto src = make_proc_source();
  Request req;
  req.pids = {pid};
  req.fields = Field::Ids | Field::Times;
  const Snapshot s = src->snapshot(req);
  const Process* p = s.find(pid);
  REQUIRE(p != nullptr);
  REQUIRE(p->leader() != nullptr);
  const uint64_t tick = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  const uint64_t leader_cpu = p->leader()->utime_ns + p->leader()->stime_ns;
  uint64_t workers_cpu = 0;
  for (const Task& t : p->tasks)
    if (!t.is_leader()) workers_cpu += t.utime_ns + t.stime_ns;
  CHECK(p->utime_ns + p->stime_ns >= 20 * 1000000ull);           // the group burnt >= 30 ms, less rounding
  CHECK(leader_cpu + workers_cpu <= p->utime_ns + p->stime_ns + 4 * tick);  // parts do not exceed the whole
  CHECK(leader_cpu < p->utime_ns + p->stime_ns);                  // the leader's row is not the group's
}

TEST_CASE("ProcSource reads named processes' tasks as its listing of /proc does", "[procfs]") {
  // Named processes' tasks are read from their own stat files, the listing's through libproc2's
  // thread table: a sleeping fixture's tasks and kthreadd must read the same either way.
  test::Fixture fx("named_threads", {"4"});
  const int32_t pid = json::parse(fx.facts())["pid"];
  REQUIRE(test::wait_all_asleep(pid));
  auto src = make_proc_source();
  Request all;
  all.kernel_threads = true;
  Request named = all;
  named.pids = {2, pid};
  for (int pass = 0; pass < 2; ++pass) {  // the second pass reuses the switch counts of the first
    INFO("pass " << pass);
    const Snapshot a = src->snapshot(all);
    const Snapshot n = src->snapshot(named);
    REQUIRE(n.processes.size() == 2);
    for (const Process& q : n.processes) {
      INFO("pid " << q.pid);
      const Process* p = a.find(q.pid);
      REQUIRE(p != nullptr);
      REQUIRE(q.tasks.size() == p->tasks.size());
      for (size_t k = 0; k < q.tasks.size(); ++k) {
        const Task &x = q.tasks[k], &y = p->tasks[k];
        CHECK(x.tid == y.tid);
        CHECK(x.tgid == y.tgid);
        CHECK(x.ppid == y.ppid);
        CHECK(x.comm == y.comm);
        CHECK(x.kthread == y.kthread);
        CHECK(x.start_ns == y.start_ns);
        CHECK(x.policy == y.policy);
        CHECK(x.nice == y.nice);
        CHECK(x.prio == y.prio);
        CHECK(x.rtprio == y.rtprio);
        if (q.pid != pid) continue;  // kthreadd may run between the two reads
        CHECK(x.state == y.state);
        CHECK(x.cpu == y.cpu);
        CHECK(x.utime_ns == y.utime_ns);
        CHECK(x.stime_ns == y.stime_ns);
        CHECK(x.nvcsw == y.nvcsw);
        CHECK(x.nivcsw == y.nivcsw);
      }
    }
  }
}
