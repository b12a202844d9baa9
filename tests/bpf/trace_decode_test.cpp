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

TEST_CASE("a switch record gives both tasks and the voluntary bit", "[trace][decode]") {
  ts_switch_rec r{};
  r.hdr = {TS_REC_SWITCH, 3, 1};
  r.prev_tid = 5;
  r.next_tid = 0;
  r.flags = TS_SWITCH_VOLUNTARY;
  r.prev_state = 1;
  std::strcpy(r.next_comm, "swapper/3");
  const auto e = std::get<SwitchEvent>(decode(&r, sizeof r).at(0));
  CHECK(e.voluntary);
  CHECK(e.next_comm == "swapper/3");
  CHECK(e.hdr.cpu == 3);
}

TEST_CASE("short or unknown records are refused, not read past their end", "[trace][decode]") {
  ts_switch_rec r{};
  r.hdr = {TS_REC_SWITCH, 0, 1};
  CHECK(decode(&r, sizeof r - 1).empty());
  CHECK(decode(&r, 4).empty());
  r.hdr.kind = 99;
  CHECK(decode(&r, sizeof r).empty());
}
