// sample_test.cpp: a Sample's encoding round-trips every field, a recording without --threads
// keeps per-process sums, and corrupted blobs give a ts::Error naming the byte, never a crash.
#include "history/sample.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "history/blob.h"
#include "history/compress.h"
#include "history_frames.h"
#include "model/error.h"

using namespace ts;
using namespace ts::history;

namespace {

// damaged() is `good` truncated, with bytes overwritten, or with bytes inserted (by round % 3).
std::string damaged(std::string bad, int round, std::mt19937_64& rng) {
  switch (round % 3) {
    case 0: bad.resize(rng() % bad.size()); break;
    case 1:
      for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
      break;
    default: bad.insert(rng() % bad.size(), std::string(1 + rng() % 8, static_cast<char>(rng()))); break;
  }
  return bad;
}

}  // namespace

TEST_CASE("a sample round-trips through its encoding", "[history]") {
  const view::Frame f = test::recorded_frame(3);
  const Sample s = from_frame(f, true);
  const Sample d = decode(encode(s), "t");
  REQUIRE(d.threads);
  REQUIRE(d.snap.processes.size() == 3);
  const Process* p = d.snap.find(100);
  REQUIRE(p);
  CHECK(p->cmdline == "/usr/bin/srv --run");
  REQUIRE(p->tasks.size() == 2);
  CHECK(p->tasks[1].tid == 101);
  CHECK(p->tasks[1].tgid == 100);
  CHECK(p->tasks[1].comm == "srv-worker");
  CHECK(p->tasks[1].utime_ns == 3 * 20'000'000);
  CHECK(p->tasks[1].nvcsw == 15);
  CHECK(d.snap.taken_ns == f.snap.taken_ns);
  CHECK(d.snap.boot_time_unix_ns == f.snap.boot_time_unix_ns);
  CHECK(d.machine.all.user == 300);
  REQUIRE(d.goro.count(100));
  CHECK(d.goro.at(100).gs.size() == 3);
  CHECK(d.goro.at(100).gs[0].wait_reason == WaitReason::ChanRecv);
  CHECK(d.goro.at(100).gs[0].sp == 0);  // registers are not stored
  CHECK(d.goro.at(100).ps[1].runq_len == 3);
  CHECK(d.events_on);
}

TEST_CASE("a snapshot with a process twice or out of order makes a sample that reads back", "[history]") {
  // The BPF source completed from /proc can list a process twice: the walk saw it and the groups
  // it hid last pass are read again.
  view::Frame f = test::recorded_frame(3);
  REQUIRE(f.snap.processes.size() == 3);
  f.snap.processes.push_back(f.snap.processes[1]);
  std::swap(f.snap.processes[0], f.snap.processes[2]);
  for (bool threads : {true, false}) {
    const Sample s = from_frame(f, threads);
    const Sample d = decode(encode(s), "t");
    std::vector<int32_t> pids;
    for (const Process& p : d.snap.processes) pids.push_back(p.pid);
    CHECK(pids == std::vector<int32_t>{1, 100, 200});
    CHECK(decode_delta(encode(s, &s), "t", s).snap.processes.size() == 3);
  }
}

TEST_CASE("without --threads a process keeps one task with its threads' sums", "[history]") {
  const Sample s = decode(encode(from_frame(test::recorded_frame(2), false)), "t");
  const Process* p = s.snap.find(100);
  REQUIRE(p);
  REQUIRE(p->tasks.size() == 1);
  CHECK(p->tasks[0].tid == 100);
  CHECK(p->tasks[0].comm == "srv");
  CHECK(p->tasks[0].utime_ns == 2 * 10'000'000 + 2 * 20'000'000);
  CHECK(p->tasks[0].nvcsw == 20);
  CHECK(p->nlwp == 2);
  CHECK(p->total_nvcsw() == 20);
}

TEST_CASE("blob reader bounds", "[history]") {
  BlobWriter w;
  w.u(300);
  w.i(-5);
  w.s("abc");
  w.f(2.5);
  BlobReader r(w.bytes(), "b");
  CHECK(r.u() == 300);
  CHECK(r.i() == -5);
  CHECK(r.s() == "abc");
  CHECK(r.f() == 2.5);
  CHECK(r.at_end());
  CHECK_THROWS_WITH(r.u(), "b: truncated at byte 15");
  const std::string huge = "\xff\xff\xff\xff\x0f";
  BlobReader c(huge, "c");
  CHECK_THROWS_WITH(c.count(), Catch::Contains("exceeds the bytes left"));
}

TEST_CASE("corrupted sample blobs throw ts::Error naming the byte, never crash", "[history][fuzz]") {
  const std::string good = encode(from_frame(test::recorded_frame(4), true));
  std::mt19937_64 rng(14);
  int errors = 0;
  for (int round = 0; round < 5000; ++round) {
    const std::string bad = damaged(good, round, rng);
    try {
      const Sample s = decode(bad, "sample 9");
      CHECK(s.snap.processes.size() <= 3);  // what decodes is bounded by what was there
    } catch (const Error& e) {
      ++errors;
      const std::string msg = e.what();
      if (msg.find("sample 9: ") != 0 || msg.find(" at byte ") == std::string::npos) FAIL("message: " << msg);
    }
  }
  CHECK(errors > 2500);
}

TEST_CASE("corrupted zstd frames throw ts::Error", "[history][fuzz]") {
  const std::string raw = encode(from_frame(test::recorded_frame(4), true));
  const std::string good = compress(raw);
  CHECK(decompress(good, "s") == raw);
  std::mt19937_64 rng(15);
  for (int round = 0; round < 2000; ++round) {
    std::string bad = good;
    if (round % 2) bad.resize(rng() % bad.size());
    else bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    try {
      (void)decode(decompress(bad, "s"), "s");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).rfind("s: ", 0) == 0);
    }
  }
  CHECK_THROWS_WITH(decompress("hello", "f"), "f: not a zstd frame at byte 0");
}

namespace {

// mutated() is `s` a second later, changed at random the ways a machine changes: counters grow,
// tasks and processes come and go, a tid is reused, names and states change.
Sample mutated(Sample s, std::mt19937_64& rng) {
  s.snap.taken_ns += 1'000'000'000;
  std::vector<Process> out;
  for (Process& p : s.snap.processes) {
    if (rng() % 40 == 0) continue;  // exited
    if (rng() % 5 == 0) p.rss_bytes += rng() % 100'000;
    if (rng() % 30 == 0) p.cmdline += " --again";
    if (rng() % 50 == 0) p.uid = static_cast<uint32_t>(rng() % 2000);
    std::vector<Task> tasks;
    for (Task& t : p.tasks) {
      if (!t.is_leader() && rng() % 30 == 0) continue;
      if (rng() % 4 == 0) t.utime_ns += rng() % 10'000'000, t.nvcsw += rng() % 50, t.state = "RSD"[rng() % 3];
      if (rng() % 60 == 0) t.comm = "renamed" + std::to_string(rng() % 10), t.cpu = static_cast<int32_t>(rng() % 8) - 1;
      if (rng() % 80 == 0) t.start_ns += 7, t.nice = -3;  // the tid reused by a new thread
      tasks.push_back(std::move(t));
    }
    if (rng() % 6 == 0) {
      Task t = tasks.front();
      t.tid = p.pid + 1000 + static_cast<int32_t>(rng() % 500);
      t.policy = SchedPolicy::Batch;
      if (std::none_of(tasks.begin(), tasks.end(), [&](const Task& x) { return x.tid == t.tid; })) tasks.push_back(t);
    }
    std::sort(tasks.begin() + 1, tasks.end(), [](const Task& a, const Task& b) { return a.tid < b.tid; });
    p.tasks = std::move(tasks);
    p.nlwp = static_cast<int32_t>(p.tasks.size());
    out.push_back(std::move(p));
  }
  if (rng() % 3 == 0) {  // a new process, in pid order
    Process p = out.empty() ? Process{} : out[rng() % out.size()];
    p.pid = static_cast<int32_t>(rng() % 40000) + 2;
    for (Task& t : p.tasks) t.tgid = p.pid;
    if (!p.tasks.empty()) p.tasks.front().tid = p.pid;
    auto at = std::lower_bound(out.begin(), out.end(), p.pid, [](const Process& x, int32_t pid) { return x.pid < pid; });
    if ((at == out.end() || at->pid != p.pid) && !p.tasks.empty()) out.insert(at, std::move(p));
  }
  s.snap.processes = std::move(out);
  s.machine.all.user += 17;
  return s;
}

// big_sample() is a sample of `procs` processes of `threads` threads each.
Sample big_sample(int procs, int threads) {
  Sample s = from_frame(test::recorded_frame(1), true);
  s.snap.processes.clear();
  for (int32_t pid = 1; pid <= procs; ++pid) {
    Process p;
    p.pid = pid * 10;
    p.comm = "proc" + std::to_string(pid);
    p.cmdline = "/usr/bin/" + p.comm + " --serve";
    for (int32_t k = 0; k < threads; ++k) {
      Task t;
      t.tid = k == 0 ? p.pid : 100000 + pid * threads + k;
      t.tgid = p.pid;
      t.comm = p.comm;
      t.state = 'S';
      t.start_ns = 1000 + static_cast<uint64_t>(k);
      t.utime_ns = static_cast<uint64_t>(pid) * 1'000'000 + static_cast<uint64_t>(k);
      t.nvcsw = static_cast<uint64_t>(k) * 3;
      p.tasks.push_back(t);
    }
    p.nlwp = threads;
    s.snap.processes.push_back(std::move(p));
  }
  return s;
}

}  // namespace

TEST_CASE("a delta sample turns the one before into exactly the next", "[history][delta]") {
  std::mt19937_64 rng(41);
  Sample prev = big_sample(60, 12);
  for (int step = 0; step < 300; ++step) {
    Sample cur = mutated(prev, rng);
    const std::string whole = encode(cur);
    const std::string delta = encode(cur, &prev);
    INFO("step " << step);
    // Decoded from the delta, the sample encodes to the same bytes as itself: every field came back.
    CHECK(encode(decode_delta(delta, "d", prev)) == whole);
    CHECK(delta.size() < whole.size());
    prev = std::move(cur);
  }
  // Nothing changed: the process table is one run.
  CHECK(encode(prev, &prev).size() < 200);
  // A key read as a delta and a delta read without its base are refused.
  CHECK_THROWS_WITH(decode(encode(prev, &prev), "s 3"), Catch::Contains("s 3: a delta sample read without the sample before it"));
  CHECK_THROWS_WITH(decode_delta(encode(prev), "s 4", prev), Catch::Contains("s 4: a key sample where a delta was expected"));
}

TEST_CASE("a delta of 10k threads of which 5% ran is a small part of the whole", "[history][delta]") {
  const Sample a = big_sample(20, 500);
  Sample b = a;
  b.snap.taken_ns += 1'000'000'000;
  for (Process& p : b.snap.processes)
    for (size_t k = 0; k < p.tasks.size(); k += 20) p.tasks[k].utime_ns += 4'000'000, p.tasks[k].nvcsw += 9;
  const size_t whole = compress(encode(b)).size(), delta = compress(encode(b, &a)).size();
  INFO("whole " << whole << " bytes, delta " << delta);
  CHECK(delta * 8 < whole);
}

namespace {

// old_goro() is a G/M/P as versions 1 and 2 stored it (every G, no counts, no function names):
// pid 100, two Gs, one waiting on a channel, one running.
std::string old_goro() {
  BlobWriter w;
  w.i(100);
  w.s("goro");
  for (uint64_t v : {5, 6, 2, 7, 0, 2, 0}) w.u(v);  // taken, start, gomaxprocs, sysmon, global runq, slots, torn
  w.u(0);  // Ps
  w.u(0);  // Ms
  w.u(2);  // Gs
  for (uint64_t goid : {1, 2}) {
    w.u(goid);
    w.u(static_cast<uint8_t>(goid == 1 ? GState::Waiting : GState::Running));
    w.u(static_cast<uint8_t>(goid == 1 ? WaitReason::ChanRecv : WaitReason::None));
    w.s("");
    for (uint64_t v : {0, 0, 0, 0, 0}) w.u(v);
    w.i(-1);
    w.u(0), w.u(0x4000 + goid);
    w.u(0);
  }
  return w.take();
}

}  // namespace

TEST_CASE("version-1 and -2 blobs (every G, no counts) still read; an unknown version is named", "[history][delta]") {
  view::Frame f = test::recorded_frame(3);
  f.goro.clear();
  const std::string v3 = encode(from_frame(f, true));
  REQUIRE(v3.substr(0, 2) == std::string("\x03\x00", 2));
  // The G/M/P list is where versions 2 and 3 differ: find its count (0 here, 1 with one runtime).
  f.goro[100] = test::recorded_frame(3).goro.at(100);
  const std::string one = encode(from_frame(f, true));
  const size_t at = static_cast<size_t>(std::mismatch(v3.begin(), v3.end(), one.begin()).first - v3.begin());
  REQUIRE(at < v3.size());
  REQUIRE(v3[at] == 0);
  const std::string v2 = "\x02" + v3.substr(1, at - 1) + "\x01" + old_goro() + v3.substr(at + 1);
  const Sample d2 = decode(v2, "v2");
  REQUIRE(d2.goro.count(100));
  const GoroSnapshot& g = d2.goro.at(100);
  CHECK(g.g_counts.empty());
  CHECK(g.gs.size() == 2);
  CHECK(g_total(g) == 2);
  CHECK(count_gs(g) == std::vector<GCount>{{GState::Running, WaitReason::None, 1}, {GState::Waiting, WaitReason::ChanRecv, 1}});
  CHECK(g.gs[1].start_pc == 0x4002);
  const std::string v1 = "\x01" + v2.substr(2);
  CHECK(encode(decode(v1, "v1")) == encode(d2));
  std::string v4 = v3;
  v4[0] = 4;
  CHECK_THROWS_WITH(decode(v4, "new"), "new: sample encoding version 4 (this taskscope reads 1 to 3) at byte 1");
}

TEST_CASE("a sample keeps every G counted, the Gs on Ms and the longest waiting, named", "[history][goro]") {
  view::Frame f = test::recorded_frame(1);
  GoroSnapshot g;
  g.pid = 100;
  g.runtime = "go1.19.8";
  // 100,000 Gs: slot k waits k ms on a channel, except every 1000th (runnable) and slots 7 (running,
  // on M 0), 8 (in a system call) and 9 (runnable, M 1's current G).
  g.gs.resize(100'000);
  for (size_t k = 0; k < g.gs.size(); ++k) {
    GoroG& x = g.gs[k];
    x.goid = k + 1;
    x.state = k % 1000 == 0 ? GState::Runnable : GState::Waiting;
    x.wait_reason = x.state == GState::Waiting ? (k % 2 ? WaitReason::ChanRecv : WaitReason::Select) : WaitReason::None;
    x.wait_ns = x.state == GState::Waiting ? k * 1'000'000 : 0;
    x.start_pc = 0x1000 + k % 3;
    x.sp = 0xdead;
  }
  g.gs[7].state = GState::Running, g.gs[7].wait_reason = WaitReason::None, g.gs[7].wait_ns = 0;
  g.gs[8].state = GState::Syscall, g.gs[8].wait_reason = WaitReason::None, g.gs[8].wait_ns = 0;
  g.gs[9].state = GState::Runnable, g.gs[9].wait_reason = WaitReason::None, g.gs[9].wait_ns = 0;
  g.ms.resize(2);
  g.ms[0].cur_goid = 8, g.ms[1].cur_goid = 10;
  f.goro[100] = g;
  int named = 0;
  const NameFn name = [&](int32_t pid, uint64_t pc) {
    ++named;
    return pid == 100 && pc == 0x1001 ? std::string("main.worker") : std::string();
  };
  const Sample s = from_frame(f, true, name);
  const std::string blob = encode(s);
  const Sample d = decode(blob, "t");
  const GoroSnapshot& k = d.goro.at(100);
  CHECK(count_gs(k) == count_gs(g));  // every G counted, by state and reason
  CHECK(g_total(k) == 100'000);
  uint64_t runnable = 0;
  for (const GCount& c : count_gs(k)) runnable += c.state == GState::Runnable ? c.n : 0;
  CHECK(runnable == 101);
  std::vector<uint64_t> kept;
  for (const GoroG& x : k.gs) kept.push_back(x.goid);
  // Slots 7, 8, 9 (on Ms), then the ten longest waiting: the last ten waiting slots.
  std::vector<uint64_t> want = {8, 9, 10};
  for (uint64_t goid = 99'991; goid <= 100'000; ++goid) want.push_back(goid);
  CHECK(kept == want);
  CHECK(k.gs.back().wait_ns == 99'999 * 1'000'000ull);
  CHECK(k.gs.back().sp == 0);  // registers are not stored
  CHECK(named == static_cast<int>(k.gs.size()));
  for (const GoroG& x : k.gs) CHECK(x.function == (x.start_pc == 0x1001 ? "main.worker" : ""));
  INFO("blob " << blob.size() << " bytes");
  CHECK(blob.size() < 4096);  // every G stored was over 2 MB
}

TEST_CASE("corrupted delta blobs throw ts::Error naming the byte, never crash", "[history][fuzz][delta]") {
  std::mt19937_64 rng(19);
  const Sample base = big_sample(6, 5);
  const Sample next = mutated(base, rng);
  const std::string good = encode(next, &base);
  int errors = 0;
  for (int round = 0; round < 5000; ++round) {
    const std::string bad = damaged(good, round, rng);
    try {
      const Sample s = decode_delta(bad, "sample 9", base);
      size_t tasks = 0;
      for (const Process& p : s.snap.processes) tasks += p.tasks.size();
      CHECK(tasks <= base.snap.task_count() + bad.size());  // what decodes is bounded by the base and the bytes
    } catch (const Error& e) {
      ++errors;
      const std::string msg = e.what();
      if (msg.find("sample 9: ") != 0 || msg.find(" at byte ") == std::string::npos) FAIL("message: " << msg);
    }
  }
  CHECK(errors > 2500);
}
