// task_walk_test.cpp: the open-coded task walk (TaskWalkReader) against the iterator it replaces:
// the same snapshot of quiet fixtures field by field, its maps growing when a run overflows them,
// records without the parts a request does not ask for, and TASKSCOPE_BPF_WALK=off's fallback.
#include <sys/utsname.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "../support/support.h"
#include "proc_peek.h"
#include "bpf/bpf_common.h"
#include "bpf/bpf_source.h"
#include "bpf/task_walk_reader.h"
#include "model/error.h"

using namespace ts;

namespace {

// walk_kernel() tells whether the running kernel has the bpf_iter_task kfuncs (Linux 6.7+).
bool walk_kernel() {
  utsname u{};
  int major = 0, minor = 0;
  return uname(&u) == 0 && std::sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
         (major > 6 || (major == 6 && minor >= 7));
}

// Sources is a BpfSource on each program, or why one did not load.
struct Sources {
  std::unique_ptr<bpf::BpfSource> walk, iter;
  std::string why;
  Sources() {
    try {
      setenv("TASKSCOPE_BPF_WALK", "on", 1);  // even where it cannot be pinned
      walk = std::make_unique<bpf::BpfSource>();
      setenv("TASKSCOPE_BPF_WALK", "off", 1);
      iter = std::make_unique<bpf::BpfSource>();
    } catch (const Error& e) {
      why = e.what();
    }
    unsetenv("TASKSCOPE_BPF_WALK");
  }
};

// GATE() gates a test on BPF, and on the walk where the kernel has it.
#define GATE(s)                                                                      \
  do {                                                                               \
    const bpf::Support sup = bpf::probe_support();                                   \
    TS_BPF_GATE(sup.usable, sup.why);                                                \
    TS_BPF_GATE((s).walk && (s).iter, (s).why);                                      \
    TS_BPF_GATE(std::string((s).walk->reader().name()) == "walk" || !walk_kernel(), \
                "the walk did not load on Linux 6.7+: " + (s).walk->walk_why());     \
    TS_BPF_GATE(std::string((s).walk->reader().name()) == "walk", "Linux before 6.7: no open-coded task walk"); \
  } while (0)

// same_task() checks every field of two reads of a quiet task (nothing of it can move between them).
void same_task(const Task& a, const Task& b) {
  INFO("tid " << a.tid << " comm " << a.comm);
  CHECK(a.tid == b.tid);
  CHECK(a.tgid == b.tgid);
  CHECK(a.ppid == b.ppid);
  CHECK(a.comm == b.comm);
  CHECK(a.kthread == b.kthread);
  CHECK(a.state == b.state);
  CHECK(a.cpu == b.cpu);
  CHECK(a.utime_ns == b.utime_ns);
  CHECK(a.stime_ns == b.stime_ns);
  CHECK(a.start_ns == b.start_ns);
  CHECK(a.nice == b.nice);
  CHECK(a.prio == b.prio);
  CHECK(a.rtprio == b.rtprio);
  CHECK(a.policy == b.policy);
  CHECK(a.nvcsw == b.nvcsw);
  CHECK(a.nivcsw == b.nivcsw);
  CHECK(a.run_delay_ns == b.run_delay_ns);
  CHECK(a.pcount == b.pcount);
}

// same_process() checks every field of two reads of a quiet process and its threads.
void same_process(const Process& a, const Process& b) {
  INFO("pid " << a.pid << " comm " << a.comm);
  CHECK(a.pid == b.pid);
  CHECK(a.ppid == b.ppid);
  CHECK(a.uid == b.uid);
  CHECK(a.user == b.user);
  CHECK(a.comm == b.comm);
  CHECK(a.cmdline == b.cmdline);
  CHECK(a.kthread == b.kthread);
  CHECK(a.rss_bytes == b.rss_bytes);
  CHECK(a.vsize_bytes == b.vsize_bytes);
  CHECK(a.nlwp == b.nlwp);
  CHECK(a.utime_ns == b.utime_ns);
  CHECK(a.stime_ns == b.stime_ns);
  CHECK(a.layout.start_code == b.layout.start_code);
  CHECK(a.layout.end_code == b.layout.end_code);
  CHECK(a.layout.start_data == b.layout.start_data);
  CHECK(a.layout.end_data == b.layout.end_data);
  CHECK(a.layout.start_brk == b.layout.start_brk);
  CHECK(a.layout.brk == b.layout.brk);
  CHECK(a.layout.start_stack == b.layout.start_stack);
  REQUIRE(a.tasks.size() == b.tasks.size());
  for (size_t i = 0; i < a.tasks.size(); ++i) same_task(a.tasks[i], b.tasks[i]);
}

}  // namespace

TEST_CASE("the open-coded walk and the iterator give the same snapshot of quiet fixtures", "[bpf][walk]") {
  Sources s;
  GATE(s);
  const std::string spaced = "two words";
  test::Fixture a("bpf_quiet_threads", {"6", spaced, ""});
  test::Fixture b("bpf_quiet_threads", {"3", std::string(TASK_ITER_ARGV_MAX + 100, 'y')});  // argv left to /proc
  const auto pa = nlohmann::json::parse(a.facts()).at("pid").get<int32_t>();
  const auto pb = nlohmann::json::parse(b.facts()).at("pid").get<int32_t>();
  test::wait_sleeping(pa, pa);
  test::wait_sleeping(pb, pb);

  Request req;  // every field, kernel threads included
  const Snapshot i = s.iter->snapshot(req);
  const Snapshot w = s.walk->snapshot(req);
  const Snapshot after = s.iter->snapshot(req);  // what changed meanwhile (an exec, a rename) is left out below
  CHECK(w.fields == i.fields);
  CHECK(w.notes == i.notes);
  CHECK(s.walk->cmdline_wanted() == s.iter->cmdline_wanted());
  for (int32_t pid : {pa, pb}) {
    const Process* x = w.find(pid);
    const Process* y = i.find(pid);
    REQUIRE(x != nullptr);
    REQUIRE(y != nullptr);
    CHECK(x->tasks.size() == (pid == pa ? 7u : 4u));
    same_process(*x, *y);
  }
  CHECK(w.find(pa)->cmdline == test::fixture_path("bpf_quiet_threads") + " 6 " + spaced);
  CHECK(w.find(pb)->cmdline.empty());  // the raw source leaves it to /proc, as the iterator does
  CHECK(std::binary_search(s.walk->cmdline_wanted().begin(), s.walk->cmdline_wanted().end(), pb));

  // Every process both saw that did not change around the walk's read (the same in the iterator's
  // reads before and after it: no exec, no rename, no new owner): the same ids, names, argv,
  // owner, policy and start times (kernel threads' full names included), and no pid 0.
  size_t compared = 0, knamed = 0;
  CHECK(w.find(0) == nullptr);
  for (const Process& x : w.processes) {
    const Process* y = i.find(x.pid);
    const Process* z = after.find(x.pid);
    if (!y || !z || y->tasks.empty() || x.tasks.empty() || z->tasks.empty()) continue;
    const Task &yt = y->tasks.front(), &zt = z->tasks.front();
    if (yt.start_ns != zt.start_ns || y->comm != z->comm || y->cmdline != z->cmdline || y->uid != z->uid ||
        y->ppid != z->ppid || yt.policy != zt.policy || yt.rtprio != zt.rtprio)
      continue;
    INFO("pid " << x.pid << " comm " << x.comm);
    CHECK(x.tasks.front().start_ns == yt.start_ns);
    CHECK(x.ppid == y->ppid);
    CHECK(x.uid == y->uid);
    CHECK(x.user == y->user);
    CHECK(x.kthread == y->kthread);
    // A workqueue worker's name says what it runs ("+desc" now, "-desc" after): it may change
    // and change back between the reads. Every other name is the same.
    const bool worker = x.kthread && x.comm.rfind("kworker/", 0) == 0;
    if (!worker) CHECK(x.comm == y->comm);
    CHECK(x.cmdline == y->cmdline);
    CHECK(x.tasks.front().policy == yt.policy);
    CHECK(x.tasks.front().rtprio == yt.rtprio);
    if (x.kthread && !worker && x.comm.size() > 15) ++knamed;
    ++compared;
  }
  CHECK(compared > 20);
  CHECK(knamed > 0);  // kernel threads named past comm's 15 bytes (pool_workqueue_release...)
}

TEST_CASE("the walk grows its maps when a run overflows them, and loses nothing", "[bpf][walk]") {
  Sources s;
  GATE(s);
  test::Fixture fx("bpf_quiet_threads", {"8", std::string(TASK_ITER_ARGV_MAX - 100, 'z')});  // 31 chunks of argv
  const auto pid = nlohmann::json::parse(fx.facts()).at("pid").get<int32_t>();
  const auto facts = nlohmann::json::parse(fx.facts());
  bpf::TaskWalkReader r;
  r.resize(4, 1);  // far too small for this machine's tasks, and for the fixture's argv
  const auto recs = r.read_all();
  CHECK(r.runs() >= 2);
  CHECK(r.rec_capacity() > 4);
  CHECK(r.tail_capacity() > 31);
  CHECK(recs.size() > 4);
  CHECK(recs.size() <= r.rec_capacity());
  size_t mine = 0;
  for (const task_rec* t : recs) mine += t->tgid == pid;
  CHECK(mine == facts.at("threads").size() + 1);
  const task_rec* lead = test::leader_of(recs, pid);
  REQUIRE(lead != nullptr);
  CHECK((lead->have & TASK_REC_HAVE_ARGV) != 0);
  CHECK(bpf::record_argv(*lead, r.tail(*lead)) == test::proc_cmdline(pid));
  CHECK(test::leader_of(recs, getpid()) != nullptr);

  // Once grown, a read runs once.
  r.read_all();
  CHECK(r.runs() == 1);
}

TEST_CASE("the walk reads mm and argv only when asked, and one process alone", "[bpf][walk]") {
  Sources s;
  GATE(s);
  bpf::TaskWalkReader r;
  const task_rec* self = test::leader_of(r.read_all(0), getpid());
  REQUIRE(self != nullptr);
  CHECK((self->have & (TASK_REC_HAVE_MM | TASK_REC_HAVE_ARGV)) == 0);
  CHECK(self->nr_threads >= 1);  // the group part is always there
  self = test::leader_of(r.read_all(bpf::kWantMm), getpid());
  REQUIRE(self != nullptr);
  CHECK((self->have & TASK_REC_HAVE_MM) != 0);
  CHECK((self->have & TASK_REC_HAVE_ARGV) == 0);
  CHECK(self->total_vm > 0);
  self = test::leader_of(r.read_all(bpf::kWantAll), getpid());
  REQUIRE(self != nullptr);
  CHECK((self->have & (TASK_REC_HAVE_MM | TASK_REC_HAVE_ARGV)) == (TASK_REC_HAVE_MM | TASK_REC_HAVE_ARGV));
  CHECK(bpf::record_argv(*self, r.tail(*self)) == test::proc_cmdline(getpid()).substr(0, TASK_ITER_ARGV_MAX));

  REQUIRE(r.per_process_iter());  // the tests run in the initial pid namespace
  test::Fixture fx("bpf_quiet_threads", {"5"});
  const auto pid = nlohmann::json::parse(fx.facts()).at("pid").get<int32_t>();
  const auto group = r.read_group(pid);
  CHECK(group.size() == 6);
  CHECK(std::all_of(group.begin(), group.end(), [pid](const task_rec* t) { return t->tgid == pid; }));
  CHECK(r.argv_read() == 1);  // the second phase ran over this group only
  CHECK(r.read_group(1 << 22).empty());  // past pid_max: no such process
  const auto tid = nlohmann::json::parse(fx.facts()).at("threads").at(0).at("tid").get<int32_t>();
  CHECK(r.read_group(tid).empty());  // a thread's id names no group
}

TEST_CASE("TASKSCOPE_BPF_WALK=off makes the source use the iterator, =on the walk, and each says why", "[bpf][walk]") {
  const bpf::Support sup = bpf::probe_support();
  TS_BPF_GATE(sup.usable, sup.why);
  setenv("TASKSCOPE_BPF_WALK", "off", 1);
  std::unique_ptr<bpf::BpfSource> off;
  try {
    off = std::make_unique<bpf::BpfSource>();
  } catch (const Error& e) {
    unsetenv("TASKSCOPE_BPF_WALK");
    TS_BPF_GATE(false, e.what());
  }
  unsetenv("TASKSCOPE_BPF_WALK");
  CHECK(std::string(off->reader().name()) == "iter");
  CHECK(off->walk_why() == "TASKSCOPE_BPF_WALK=off");
  Request req;
  req.pids = {getpid()};
  const Snapshot snap = off->snapshot(req);
  REQUIRE(snap.find(getpid()) != nullptr);
  CHECK(snap.find(getpid())->tasks.size() >= 1);
  if (walk_kernel()) {
    setenv("TASKSCOPE_BPF_WALK", "on", 1);
    bpf::BpfSource on;
    unsetenv("TASKSCOPE_BPF_WALK");
    INFO(on.walk_why());
    CHECK(std::string(on.reader().name()) == "walk");
    CHECK(on.walk_why().empty());
    // Unset, a repeating reader uses the walk only where it can be pinned: verifying it costs seconds.
    setenv("TASKSCOPE_BPF_PIN_DIR", "off", 1);
    bpf::BpfSource unpinned(bpf::ReaderUse::Repeating);
    unsetenv("TASKSCOPE_BPF_PIN_DIR");
    CHECK(std::string(unpinned.reader().name()) == "iter");
    CHECK_FALSE(unpinned.walk_loading());
    CHECK(unpinned.walk_why() == "the walk cannot be pinned here (TASKSCOPE_BPF_PIN_DIR=off)");
    // A one-shot reader opens the walk when it is pinned (`on` above pinned it where it can be),
    // else keeps the iterator: it never waits for the verifier.
    bpf::BpfSource once;
    CHECK_FALSE(once.walk_loading());
    std::string why;
    if (bpf::walk_pinnable(why)) {
      INFO(once.walk_why());
      CHECK(std::string(once.reader().name()) == "walk");
      CHECK(once.walk_why().empty());
    } else {
      CHECK(std::string(once.reader().name()) == "iter");
      CHECK(once.walk_why().starts_with("the walk cannot be pinned here"));
    }
  }
}

TEST_CASE("A repeating BPF source serves its first reads at once and adopts the walk once it loaded", "[bpf][walk]") {
  const bpf::Support sup = bpf::probe_support();
  TS_BPF_GATE(sup.usable, sup.why);
  std::string why;
  if (!walk_kernel() || !bpf::walk_pinnable(why)) {
    WARN("not run: the walk is not loaded beside the reads here (" << (walk_kernel() ? why : "Linux before 6.7") << ")");
    return;
  }
  bpf::BpfSource src(bpf::ReaderUse::Repeating);
  Request req;
  req.fields = Field::Ids | Field::Cmdline | Field::Memory;
  bool walked = false;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!walked && std::chrono::steady_clock::now() < give_up) {
    const Snapshot s = src.snapshot(req);  // every read answers, whichever program serves it
    REQUIRE(s.find(getpid()) != nullptr);
    CHECK_FALSE(s.find(getpid())->cmdline.empty());
    walked = std::string(src.reader().name()) == "walk";
    if (!walked) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  INFO(src.walk_why());
  CHECK(walked);
  CHECK_FALSE(src.walk_loading());
  CHECK(src.walk_why().empty());
}

TEST_CASE("only the leader's record carries the group's mm, and a thread's when the leader has exited", "[bpf][walk]") {
  Sources s;
  GATE(s);
  bpf::TaskWalkReader r;
  test::Fixture quiet("bpf_quiet_threads", {"3"});
  const auto qpid = nlohmann::json::parse(quiet.facts()).at("pid").get<int32_t>();
  size_t threads = 0;
  for (const task_rec* t : r.read_all(bpf::kWantMm)) {
    if (t->tgid != qpid) continue;
    INFO("tid " << t->pid);
    CHECK(((t->have & TASK_REC_HAVE_MM) != 0) == (t->pid == qpid));  // a thread leaves its mm part unwritten
    threads += t->pid != qpid;
  }
  CHECK(threads == 3);

  // The leader of zombie_leader has exited (no mm): its live threads carry the group's mm, and
  // both programs' snapshots show the process's memory and layout as a live thread's /proc does.
  test::Fixture zl("zombie_leader");
  const auto facts = nlohmann::json::parse(zl.facts());
  const auto pid = facts.at("pid").get<int32_t>();
  const auto tid = facts.at("threads").at(0).at("tid").get<int32_t>();
  REQUIRE(facts.at("leader_state") == "Z");
  test::wait_sleeping(pid, tid);
  size_t with_mm = 0;
  for (const task_rec* t : r.read_group(pid, bpf::kWantMm)) {
    INFO("tid " << t->pid);
    CHECK(((t->have & TASK_REC_HAVE_MM) != 0) == (t->pid != pid));
    with_mm += (t->have & TASK_REC_HAVE_MM) != 0;
  }
  CHECK(with_mm == 2);
  Request req;
  req.pids = {pid};
  req.fields = static_cast<Fields>(Field::Ids) | static_cast<Fields>(Field::Memory) | static_cast<Fields>(Field::Layout);
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  for (bpf::BpfSource* src : {s.walk.get(), s.iter.get()}) {
    INFO(src->reader().name());
    const Snapshot snap = src->snapshot(req);
    const Process* p = snap.find(pid);
    REQUIRE(p != nullptr);
    CHECK(p->rss_bytes == test::status_value(pid, tid, "VmRSS") * 1024);  // exact: the per-CPU deltas summed
    CHECK(p->vsize_bytes == test::stat_field(pid, tid, 23));
    CHECK(p->vsize_bytes % page == 0);
    CHECK(p->layout.start_code == test::stat_field(pid, tid, 26));
    CHECK(p->layout.end_code == test::stat_field(pid, tid, 27));
    CHECK(p->layout.start_stack == test::stat_field(pid, tid, 28));
    CHECK(p->layout.start_brk == test::stat_field(pid, tid, 47));
  }
}
