// proc_text_test.cpp: our /proc parsers on saved text, including hostile task names.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <string>

#include "procfs/proc_text.h"

using namespace ts::procfs;

namespace {

// A real /proc/PID/stat line (Linux 6.x, 52 fields) with the comm replaced by `comm`.
std::string stat_line(const std::string& comm) {
  return "4242 (" + comm +
         ") S 1 4242 4242 0 -1 4194560 1234 0 5 0 250 130 0 0 20 0 7 0 9876 224296960 1043 "
         "18446744073709551615 94558302322688 94558302580373 140725523380000 0 0 0 0 4096 16384 0 0 0 17 1 "
         "0 0 0 0 0 94558302649520 94558302664032 94558329413632 140725523386553 140725523386598 "
         "140725523386598 140725523390443 0\n";
}

}  // namespace

TEST_CASE("parse_stat reads the fields after a plain comm") {
  StatLine s;
  REQUIRE(parse_stat(stat_line("sshd"), s));
  CHECK(s.pid == 4242);
  CHECK(s.comm == "sshd");
  CHECK(s.state == 'S');
  CHECK(s.ppid == 1);
  CHECK(s.flags == 4194560);
  CHECK(s.utime == 250);
  CHECK(s.stime == 130);
  CHECK(s.priority == 20);
  CHECK(s.nice == 0);
  CHECK(s.num_threads == 7);
  CHECK(s.starttime == 9876);
  CHECK(s.vsize == 224296960);
  CHECK(s.rss == 1043);
  CHECK(s.start_code == 94558302322688ull);
  CHECK(s.end_code == 94558302580373ull);
  CHECK(s.start_stack == 140725523380000ull);
  CHECK(s.processor == 1);
  CHECK(s.rt_priority == 0);
  CHECK(s.policy == 0);
  CHECK(s.start_data == 94558302649520ull);
  CHECK(s.end_data == 94558302664032ull);
  CHECK(s.start_brk == 94558329413632ull);
}

TEST_CASE("parse_stat: the comm ends at the LAST ')', whatever it holds") {
  for (const std::string comm : {"(a) b)", "a b", ") (", "x) S 1 2 3", "()", ""}) {
    StatLine s;
    INFO("comm: '" << comm << "'");
    REQUIRE(parse_stat(stat_line(comm), s));
    CHECK(s.comm == comm);
    CHECK(s.state == 'S');
    CHECK(s.ppid == 1);
    CHECK(s.num_threads == 7);
    CHECK(s.processor == 1);
  }
}

TEST_CASE("parse_stat: negative nice and priority of a real-time task") {
  std::string line = stat_line("rt");
  line.replace(line.find(" 20 0 7 "), 8, " -51 -5 7 ");
  StatLine s;
  REQUIRE(parse_stat(line, s));
  CHECK(s.priority == -51);
  CHECK(s.nice == -5);
}

TEST_CASE("parse_stat rejects what is not a stat line, and never reads past it") {
  StatLine s;
  CHECK_FALSE(parse_stat("", s));
  CHECK_FALSE(parse_stat("garbage", s));
  CHECK_FALSE(parse_stat("12 (x", s));
  CHECK_FALSE(parse_stat("x (a) S 1", s));
  CHECK_FALSE(parse_stat("12 (a) S 1 2 3", s));  // cut short before policy
  const std::string full = stat_line("cut");
  CHECK_FALSE(parse_stat(std::string_view(full).substr(0, full.find(" 17 1 ")), s));
}

TEST_CASE("parse_stat without the fields newer kernels add keeps them at zero") {
  const std::string full = stat_line("old");
  // Stop right after policy (field 41) as a 2.6 kernel would.
  const size_t cut = full.find(" 0 0 0 94558302649520");
  StatLine s;
  REQUIRE(parse_stat(std::string_view(full).substr(0, cut), s));
  CHECK(s.policy == 0);
  CHECK(s.processor == 1);
  CHECK(s.start_data == 0);
  CHECK(s.start_brk == 0);
}

TEST_CASE("parse_status_switches finds both lines, and only at line starts") {
  const std::string status =
      "Name:\tworker-1\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nPid:\t4250\n"
      "Cpus_allowed_list:\t0-1\nvoluntary_ctxt_switches:\t157\nnonvoluntary_ctxt_switches:\t9\n";
  const Switches s = parse_status_switches(status);
  CHECK(s.found);
  CHECK(s.nvcsw == 157);
  CHECK(s.nivcsw == 9);
}

TEST_CASE("parse_status_switches with lines missing degrades, never guesses") {
  const Switches none = parse_status_switches("Name:\tx\nState:\tZ (zombie)\n");
  CHECK_FALSE(none.found);
  CHECK(none.nvcsw == 0);
  CHECK(none.nivcsw == 0);
  // Only the non-voluntary line: the voluntary key must not match inside "nonvoluntary_...".
  const Switches half = parse_status_switches("Name:\tx\nnonvoluntary_ctxt_switches:\t4\n");
  CHECK_FALSE(half.found);
  CHECK(half.nvcsw == 0);
  CHECK(half.nivcsw == 4);
  // A cut file: the number is missing.
  CHECK_FALSE(parse_status_switches("voluntary_ctxt_switches:\t").found);
}

TEST_CASE("parse_status_process reads Tgid, the effective uid and VmRSS; rejects text without them") {
  const std::string status =
      "Name:\tsrv\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\nPid:\t4250\nPPid:\t1\n"
      "Uid:\t1000\t33\t33\t33\nGid:\t1000\t1000\t1000\t1000\nVmPeak:\t  9000 kB\nVmRSS:\t    5120 kB\n";
  StatusProcess s;
  REQUIRE(parse_status_process(status, s));
  CHECK(s.tgid == 4242);
  CHECK(s.euid == 33);  // the second number: whose rights it uses, as ps shows
  CHECK(s.vm_rss_kb == 5120);
  StatusProcess k;  // a kernel thread: no VmRSS line
  REQUIRE(parse_status_process("Name:\tkthreadd\nTgid:\t2\nUid:\t0\t0\t0\t0\n", k));
  CHECK(k.tgid == 2);
  CHECK(k.vm_rss_kb == 0);
  StatusProcess bad;
  bad.tgid = 7;
  CHECK_FALSE(parse_status_process("Name:\tx\nUid:\t0\t0\t0\t0\n", bad));         // no Tgid
  CHECK_FALSE(parse_status_process("Tgid:\t5\nUid:\t0\n", bad));                    // one uid only
  CHECK_FALSE(parse_status_process("Tgid:\t5\nGid:\t0\t0\nXUid:\t1\t1\n", bad));  // Uid only inside a line
  CHECK(bad.tgid == 7);                                                                  // left as it was
}

TEST_CASE("parse_schedstat reads cpu time, run-queue delay and run count; rejects anything else") {
  SchedStat s;
  REQUIRE(parse_schedstat("222379826 1148065701 1044\n", s));
  CHECK(s.cpu_ns == 222379826);
  CHECK(s.run_delay_ns == 1148065701);
  CHECK(s.pcount == 1044);
  SchedStat kept;
  kept.pcount = 7;
  CHECK_FALSE(parse_schedstat("", kept));
  CHECK_FALSE(parse_schedstat("12 34\n", kept));       // cut short
  CHECK_FALSE(parse_schedstat("12 -34 5\n", kept));    // not a count
  CHECK_FALSE(parse_schedstat("12 3x4 5\n", kept));
  CHECK(kept.pcount == 7);  // left as it was
}

TEST_CASE("read_small reads a whole small file and reports a missing one") {
  char buf[256];
  CHECK(read_small("/proc/self/nonexistent-file", buf, sizeof buf) == -1);
  const ssize_t n = read_small("/proc/self/stat", buf, sizeof buf);
  REQUIRE(n > 0);
  StatLine s;
  REQUIRE(parse_stat(std::string_view(buf, static_cast<size_t>(n)), s));
  CHECK(s.pid == getpid());
}

TEST_CASE("tgid_of maps a thread id to its process") {
  CHECK(tgid_of(getpid()) == getpid());
  CHECK(tgid_of(0) == 0);
  CHECK(tgid_of(-1) == 0);
}

TEST_CASE("read_comm_at and read_cmdline keep a task's own bytes", "[procfs]") {
  std::string before;
  const int dir = open(("/proc/" + std::to_string(getpid()) + "/task").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(dir >= 0);
  REQUIRE(read_comm_at(dir, getpid(), before));
  const char odd[] = "a\nb\x1b.c";
  REQUIRE(prctl(PR_SET_NAME, odd) == 0);
  std::string name;
  CHECK(read_comm_at(dir, getpid(), name));
  CHECK(name == odd);
  prctl(PR_SET_NAME, before.c_str());
  CHECK_FALSE(read_comm_at(dir, 999999999, name));
  close(dir);
  CHECK(read_cmdline(getpid()).find("unit_tests") != std::string::npos);
  CHECK(read_cmdline(999999999).empty());
}
