// trace_decode_test.cpp: ring buffer records -> Events, without loading BPF.
#include <linux/types.h>

#include <cstring>

#include <catch2/catch.hpp>

#include "../../bpf/trace_sched.h"
#include "bpf/trace_stream.h"

using namespace ts;

namespace {

std::vector<Event> decode(const void* rec, size_t size) {
  std::vector<Event> out;
  const bool ok = bpf::decode_record(rec, size, [&](const Event& e) { out.push_back(e); });
  CHECK(ok == !out.empty());
  return out;
}

}  // namespace

TEST_CASE("a clone record decodes with its flags, exit signal and kernel-thread bit", "[trace][decode]") {
  ts_clone_rec r{};
  r.hdr = {TS_REC_CLONE, 1, 5000};
  r.parent_pid = 10;
  r.parent_tid = 11;
  r.child_pid = 20;
  r.child_tid = 20;
  r.clone_flags = 0x1200000;
  r.exit_signal = 17;
  r.child_pf_flags = 0x00200000;
  std::memcpy(r.parent_comm, "0123456789abcdef", 16);  // not terminated: must stop at 16
  const auto ev = decode(&r, sizeof r);
  REQUIRE(ev.size() == 1);
  const auto& c = std::get<CloneEvent>(ev[0]);
  CHECK(c.hdr.ts_ns == 5000);
  CHECK(c.hdr.cpu == 1);
  CHECK(c.parent_comm == "0123456789abcdef");
  CHECK(c.child_pid == 20);
  CHECK(c.flags == 0x1200000);
  CHECK(c.exit_signal == 17);
  CHECK(c.kernel_thread);
}

TEST_CASE("an exec record splits argv and keeps a truncated last argument", "[trace][decode]") {
  static ts_exec_rec r{};
  r.hdr = {TS_REC_EXEC, 0, 1};
  r.pid = r.tid = 7;
  r.old_tid = 9;
  const char args[] = "ls\0-l\0/tm";
  std::memcpy(r.args, args, sizeof args - 1);
  r.args_len = sizeof args - 1;
  r.args_truncated = 1;
  std::strcpy(r.filename, "/usr/bin/ls");
  const auto ev = decode(&r, sizeof r);
  REQUIRE(ev.size() == 1);
  const auto& e = std::get<ExecEvent>(ev[0]);
  CHECK(e.argv == std::vector<std::string>{"ls", "-l", "/tm"});
  CHECK(e.argv_truncated);
  CHECK(e.old_tid == 9);
  CHECK(e.filename == "/usr/bin/ls");

  r.args_len = 100000;  // a lying length is clamped to the buffer
  const auto ev2 = decode(&r, sizeof r);
  REQUIRE(ev2.size() == 1);
  CHECK(std::get<ExecEvent>(ev2[0]).argv.size() >= 3);
}

TEST_CASE("an exit record gives status, signal, core flag and lifetime", "[trace][decode]") {
  ts_exit_rec r{};
  r.hdr = {TS_REC_EXIT, 0, 10'000};
  r.start_ns = 4'000;
  r.exit_code = 42 << 8;
  r.group_dead = 1;
  auto e = std::get<ExitEvent>(decode(&r, sizeof r).at(0));
  CHECK(e.status() == 42);
  CHECK(e.signal() == 0);
  CHECK(e.lifetime_ns == 6'000);
  CHECK(e.group_dead);
  r.exit_code = 11 | 0x80;
  e = std::get<ExitEvent>(decode(&r, sizeof r).at(0));
  CHECK(e.signal() == 11);
  CHECK(e.core_dumped());
}

TEST_CASE("a switch record alone gives both tasks and guesses the voluntary bit from the state", "[trace][decode]") {
  ts_switch_rec r{};
  r.hdr = {TS_REC_SWITCH, 3, 1};
  r.prev_tid = 5;
  r.next_tid = 0;
  r.prev_state = 1;
  r.prev_oncpu_ns = 1234;
  std::strcpy(r.next_comm, "swapper/3");
  auto e = std::get<SwitchEvent>(decode(&r, sizeof r).at(0));
  CHECK(e.voluntary);
  CHECK(e.prev_oncpu_ns == 1234);
  CHECK(e.next_offcpu_ns == 0);
  CHECK(e.next_comm == "swapper/3");
  CHECK(e.hdr.cpu == 3);
  r.flags = TS_SWITCH_PREEMPT;  // preempted while about to block: still runnable
  e = std::get<SwitchEvent>(decode(&r, sizeof r).at(0));
  CHECK_FALSE(e.voluntary);
}

namespace {

ts_switch_rec switch_rec(uint64_t ts, uint32_t prev, uint32_t next, uint32_t state, uint32_t nvcsw, uint32_t nivcsw) {
  ts_switch_rec r{};
  r.hdr = {TS_REC_SWITCH, 0, ts + 5000};  // CLOCK_MONOTONIC; durations come from rq_ns
  r.rq_ns = ts;
  r.prev_pid = r.prev_tid = prev;
  r.next_pid = r.next_tid = next;
  r.prev_state = state;
  r.prev_nvcsw = nvcsw;
  r.prev_nivcsw = nivcsw;
  return r;
}

SwitchEvent decode_with(bpf::SwitchThreads& threads, const ts_switch_rec& r) {
  std::vector<Event> out;
  REQUIRE(bpf::decode_record(&r, sizeof r, [&](const Event& e) { out.push_back(e); }, &threads));
  return std::get<SwitchEvent>(out.at(0));
}

}  // namespace

TEST_CASE("consecutive switch records give off-CPU times and the counter the scheduler raised", "[trace][decode]") {
  bpf::SwitchThreads threads;
  // 7 runs and blocks at t=100 (nvcsw 10 -> first record of 7: the state is all there is)
  auto e = decode_with(threads, switch_rec(100, 7, 8, 1, 10, 3));
  CHECK(e.voluntary);
  CHECK(e.next_offcpu_ns == 0);  // 8 was never seen leaving
  // 8 blocks at 250; 7 comes back: off CPU for 150 ns
  e = decode_with(threads, switch_rec(250, 8, 7, 1, 1, 0));
  CHECK(e.next_offcpu_ns == 150);
  // 7 leaves at 400 with state 0 and no preemption, but nvcsw moved 10 -> 11: a block cancelled
  // by a pending signal, counted voluntary by the scheduler
  e = decode_with(threads, switch_rec(400, 7, 8, 0, 11, 3));
  CHECK(e.voluntary);
  CHECK(e.next_offcpu_ns == 150);
  // 7 comes back at 500 and is preempted at 600: nivcsw moved, though the state says blocked
  decode_with(threads, switch_rec(500, 8, 7, 1, 2, 0));
  e = decode_with(threads, switch_rec(600, 7, 0, 1, 11, 4));
  CHECK_FALSE(e.voluntary);
  CHECK(threads.size() == 2);
  // 7's last switch: it is forgotten, so a new thread with its tid starts afresh
  decode_with(threads, switch_rec(700, 0, 7, 0, 0, 0));
  decode_with(threads, switch_rec(800, 7, 0, TS_TASK_DEAD, 12, 4));
  CHECK(threads.size() == 1);
  e = decode_with(threads, switch_rec(900, 0, 7, 0, 0, 0));
  CHECK(e.next_offcpu_ns == 0);
}

TEST_CASE("short or unknown records are refused, not read past their end", "[trace][decode]") {
  ts_switch_rec r{};
  r.hdr = {TS_REC_SWITCH, 0, 1};
  CHECK(decode(&r, sizeof r - 1).empty());
  CHECK(decode(&r, 4).empty());
  r.hdr.kind = 99;
  CHECK(decode(&r, sizeof r).empty());
}
