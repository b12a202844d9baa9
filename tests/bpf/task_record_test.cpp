// task_record_test.cpp: the kernel's state-letter and cputime rules replayed in user space.
#include <catch2/catch.hpp>

#include <cstring>

#include "bpf/task_record.h"
#include "model/fields.h"

using namespace ts;
using namespace ts::bpf;

TEST_CASE("state_letter maps TASK_* bits as /proc does", "[bpf][task_record]") {
  CHECK(state_letter(0x0, 0) == 'R');
  CHECK(state_letter(0x1, 0) == 'S');
  CHECK(state_letter(0x2, 0) == 'D');
  CHECK(state_letter(0x4 | 0x100, 0) == 'T');   // TASK_STOPPED = __TASK_STOPPED | TASK_WAKEKILL
  CHECK(state_letter(0x8, 0) == 't');           // __TASK_TRACED
  CHECK(state_letter(0x2 | 0x400, 0) == 'I');   // TASK_IDLE = UNINTERRUPTIBLE | NOLOAD
  CHECK(state_letter(0x40, 0) == 'P');          // TASK_PARKED
  CHECK(state_letter(0x1000, 0) == 'D');        // TASK_RTLOCK_WAIT reads as D
  CHECK(state_letter(0x8000, 0) == 'D');        // TASK_FROZEN reads as D
  CHECK(state_letter(0x0, 0x20) == 'Z');        // EXIT_ZOMBIE via exit_state
  CHECK(state_letter(0x80, 0x10) == 'X');       // TASK_DEAD with EXIT_DEAD
  CHECK(state_letter(0x1, 0x20) == 'Z');        // the exit state outranks a sleep
}

TEST_CASE("cputime_adjust scales ticks to the precise runtime and never goes back", "[bpf][task_record]") {
  // 3 ticks user, 1 tick system, 8 ms ran: split 3:1.
  CpuTimes c = cputime_adjust({3'000'000, 1'000'000}, 8'000'000, {0, 0});
  CHECK(c.stime == 2'000'000);
  CHECK(c.utime == 6'000'000);
  // No system ticks: all of it is user time, and the reverse.
  c = cputime_adjust({4'000'000, 0}, 5'000'000, {0, 0});
  CHECK(c.utime == 5'000'000);
  CHECK(c.stime == 0);
  c = cputime_adjust({0, 4'000'000}, 5'000'000, {0, 0});
  CHECK(c.stime == 5'000'000);
  CHECK(c.utime == 0);
  // prev already covers rtime: /proc keeps what it showed last.
  c = cputime_adjust({1, 1}, 5'000'000, {3'000'000, 2'000'000});
  CHECK(c.utime == 3'000'000);
  CHECK(c.stime == 2'000'000);
  // Scaling would lower stime below what was shown: hold stime, give the rest to utime.
  c = cputime_adjust({9'000'000, 1'000'000}, 10'000'000, {1'000'000, 4'000'000});
  CHECK(c.stime == 4'000'000);
  CHECK(c.utime == 6'000'000);
  // Large values do not overflow the multiplication.
  c = cputime_adjust({1ull << 62, 1ull << 62}, 1ull << 63, {0, 0});
  CHECK(c.utime == 1ull << 62);
  CHECK(c.stime == 1ull << 62);
}

TEST_CASE("fill_task fills the asked field groups and converts units", "[bpf][task_record]") {
  task_rec r{};
  r.pid = 12;
  r.tgid = 10;
  r.ppid = 1;
  std::memcpy(r.comm, "worker-0123456789", sizeof r.comm);  // 16 bytes, no NUL: take 16 at most
  r.flags = TASK_REC_PF_KTHREAD;
  r.state = 0x1;
  r.cpu = 3;
  r.prio = 139;
  r.static_prio = 139;
  r.policy = 5 | 0x40000000;  // SCHED_IDLE | SCHED_RESET_ON_FORK
  r.utime = 1'000'000;
  r.stime = 0;
  r.sum_exec_runtime = 1'500'000;
  r.nvcsw = 7;
  r.nivcsw = 2;
  r.start_boottime = 42;
  r.run_delay = 99;
  r.pcount = 9;
  r.have = TASK_REC_HAVE_SCHEDINFO;

  Task ids;
  fill_task(r, static_cast<Fields>(Field::Ids), ids);
  CHECK(ids.tid == 12);
  CHECK(ids.tgid == 10);
  CHECK(ids.ppid == 1);
  CHECK(ids.comm == std::string("worker-012345678", 16));
  CHECK(ids.kthread);
  CHECK(ids.state == '?');  // not asked, default kept
  CHECK(ids.nvcsw == 0);

  Task all;
  fill_task(r, kAllFields, all);
  CHECK(all.state == 'S');
  CHECK(all.cpu == 3);
  CHECK(all.nice == 19);
  CHECK(all.prio == 39);
  CHECK(all.policy == SchedPolicy::Idle);
  CHECK(all.utime_ns == 1'500'000);
  CHECK(all.stime_ns == 0);
  CHECK(all.start_ns == 42);
  CHECK(all.nvcsw == 7);
  CHECK(all.nivcsw == 2);
  CHECK(all.run_delay_ns == 99);
  CHECK(all.pcount == 9);
}
