// cli_test.cpp: one command line for every subcommand: how pids are read, how errors are said,
// which option combinations are refused, and what happens when the output cannot be written.
#include <catch2/catch.hpp>

#include <set>

#include <nlohmann/json.hpp>

#include "../procfs/settle.h"
#include "../support/support.h"

using nlohmann::json;
using ts::test::lines;
using ts::test::run;
using ts::test::taskscope_bin;

namespace {

// one_line_error() checks that `r` failed with `status` and said so in exactly one line that
// starts "taskscope: ", and returns that line.
std::string one_line_error(const ts::test::RunResult& r, int status) {
  CHECK(r.status == status);
  CHECK(r.err.rfind("taskscope: ", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK((!r.err.empty() && r.err.back() == '\n'));
  return r.err;
}

std::vector<std::string> with(std::vector<std::string> args) {
  args.insert(args.begin(), taskscope_bin());
  return args;
}

// run_to_full() runs taskscope with its standard output on /dev/full.
ts::test::RunResult run_to_full(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$0\" \"$@\" >/dev/full", taskscope_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

std::set<int> json_pids(const std::string& out) {
  std::set<int> pids;
  for (const std::string& l : lines(out)) pids.insert(json::parse(l)["pid"].get<int>());
  return pids;
}

}  // namespace

TEST_CASE("every usage error is one line starting taskscope:, CLI11's too", "[cli]") {
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"nosuchcommand"},
      {"ps", "--bogus"},
      {"ps", "--sort", "color"},
      {"ps", "-p"},
      {"threads"},
      {"threads", "1", "2"},
      {"maps", "abc"},
      {"gmp", "1", "-i", "soon"},
      {"trace"},
      {"trace", "clone", "--bogus"},
      {"trace", "sched", "--top"},
  };
  for (const auto& c : cases) {
    INFO("taskscope " << (c.empty() ? "" : c[0]) << (c.size() > 1 ? " " + c[1] : "") << (c.size() > 2 ? " " + c[2] : ""));
    const std::string err = one_line_error(run(with(c)), 2);
    CHECK(err.find("Run with --help") == std::string::npos);
  }
}

TEST_CASE("an unknown trace event is named, not 'A subcommand is required'", "[cli][trace]") {
  const auto r = run(with({"trace", "fork", "1s"}));
  const std::string err = one_line_error(r, 2);
  CHECK(err.find("'fork'") != std::string::npos);
  CHECK(err.find("clone, exec, exit or sched") != std::string::npos);
  CHECK(err.find("subcommand is required") == std::string::npos);
  const std::string bare = one_line_error(run(with({"trace"})), 2);
  CHECK(bare.find("clone, exec, exit or sched") != std::string::npos);
  const std::string unknown = one_line_error(run(with({"pss"})), 2);
  CHECK(unknown.find("'pss'") != std::string::npos);
}

TEST_CASE("a pid is decimal in every subcommand: leading zeros are not octal", "[cli][pid]") {
  ts::test::Fixture fx("named_threads", {"1"});
  const int pid = fx.pid();
  const std::string zero_pid = "0" + std::to_string(pid);
  auto ps = run(with({"ps", "-p", zero_pid, "--json"}));
  REQUIRE(ps.status == 0);
  CHECK(json_pids(ps.out) == std::set<int>{pid});
  auto th = run(with({"threads", zero_pid, "--json"}));
  REQUIRE(th.status == 0);
  CHECK(json_pids(th.out) == std::set<int>{pid});
  auto mp = run(with({"maps", zero_pid, "--json"}));
  REQUIRE(mp.status == 0);
  CHECK(json_pids(mp.out) == std::set<int>{pid});
}

TEST_CASE("a malformed pid, pid 0 or an empty list is a usage error in every subcommand", "[cli][pid]") {
  for (const char* bad : {"0x10", "0", "", "-5", "12abc", "1.5"}) {
    INFO("pid '" << bad << "'");
    one_line_error(run(with({"ps", "-p", bad})), 2);
    one_line_error(run(with({"threads", bad})), 2);
    one_line_error(run(with({"maps", bad})), 2);
    one_line_error(run(with({"gmp", bad})), 2);
    one_line_error(run(with({"trace", "sched", "-p", bad, "1s"})), 2);
    one_line_error(run(with({"trace", "exit", "-t", bad, "1s"})), 2);
  }
  CHECK(one_line_error(run(with({"ps", "-p", ""})), 2).find("no pid given") != std::string::npos);
  CHECK(one_line_error(run(with({"ps", "-p", " "})), 2).find("no pid given") != std::string::npos);
}

TEST_CASE("ps -p takes comma- or blank-separated lists and repeated -p", "[cli][pid][ps]") {
  ts::test::Fixture a("named_threads", {"1"}), b("named_threads", {"2"});
  const std::string pa = std::to_string(a.pid()), pb = std::to_string(b.pid());
  const std::set<int> both{a.pid(), b.pid()};
  for (const auto& args : std::vector<std::vector<std::string>>{{"-p", pa + "," + pb},
                                                                {"-p", pa + " " + pb},
                                                                {"-p", pa + ", " + pb},
                                                                {"-p", pa, "-p", pb},
                                                                {"--pid", pa, "--pid=" + pb}}) {
    std::vector<std::string> argv{"ps", "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run(with(argv));
    INFO(args[1]);
    REQUIRE(r.status == 0);
    CHECK(json_pids(r.out) == both);
  }
}

TEST_CASE("bench refuses an unknown row, a CPU count it cannot use, and --go without go", "[cli][bench]") {
  CHECK(one_line_error(run(with({"bench", "--only", "thread,fibre"})), 2).find("'fibre'") != std::string::npos);
  CHECK(one_line_error(run(with({"bench", "--cpus", "0"})), 2).find("--cpus 0") != std::string::npos);
  one_line_error(run(with({"bench", "--cpus", "4097"})), 2);
  // No go on this PATH: --go, and asking for the Go row by name, fail before measuring anything.
  for (const char* args : {"exec \"$0\" bench --go", "exec \"$0\" bench --only go"}) {
    INFO(args);
    const auto r = run({"/usr/bin/env", "PATH=/nonexistent", "/bin/sh", "-c", args, taskscope_bin()});
    CHECK(one_line_error(r, 1).find("no `go` on PATH") != std::string::npos);
    CHECK(r.out.empty());
  }
}

TEST_CASE("trace refuses option combinations that would do nothing", "[cli][trace]") {
  ts::test::Fixture a("named_threads", {"1"}), b("named_threads", {"1"});
  const std::string tid_of_b = std::to_string(json::parse(b.facts())["threads"][0]["tid"].get<int>());
  const std::string err = one_line_error(run(with({"trace", "sched", "-p", std::to_string(a.pid()), "-t", tid_of_b, "1s"})), 2);
  CHECK(err.find("-t " + tid_of_b) != std::string::npos);
  CHECK(err.find("not a thread of process " + std::to_string(a.pid())) != std::string::npos);
  CHECK(one_line_error(run(with({"trace", "sched", "--top", "3", "1s"})), 2).find("--summary") != std::string::npos);
  one_line_error(run(with({"trace", "sched", "--summary", "--json", "--top", "3", "1s"})), 2);
  one_line_error(run(with({"trace", "sched", "0.5ns"})), 2);
  one_line_error(run(with({"gmp", "1", "-n", "3"})), 2);
}

TEST_CASE("an output that cannot be written is an error, in every subcommand", "[cli][output]") {
  ts::test::Fixture fx("named_threads", {"1"});
  ts::test::Fixture goro("goro_gmp_target");
  const std::string pid = std::to_string(fx.pid());
  const std::string want = "taskscope: cannot write the output: No space left on device\n";
  for (const auto& args : std::vector<std::vector<std::string>>{{"ps"},
                                                                {"ps", "-L", "--json"},
                                                                {"threads", pid},
                                                                {"maps", pid},
                                                                {"maps", pid, "--json"},
                                                                {"gmp", std::to_string(goro.pid())},
                                                                {"gmp", std::to_string(goro.pid()), "--json"}}) {
    INFO(args[0] << (args.size() > 1 ? " " + args[1] : ""));
    const auto r = run_to_full(args);
    CHECK(r.status == 1);
    CHECK(r.err == want);
  }
}

TEST_CASE("trace reports an output it cannot write, and stops", "[cli][output][bpf]") {
  const auto probe = run(with({"trace", "exit", "10ms"}));
  TS_BPF_GATE(probe.status == 0, probe.err);
  for (const char* fmt : {"--json", "--summary"}) {
    INFO(fmt);
    std::vector<std::string> args{"trace", std::string(fmt) == "--json" ? "exit" : "sched", fmt, "200ms"};
    const auto r = run_to_full(args);
    CHECK(r.status == 1);
    CHECK(r.err.find("taskscope: cannot write the output: No space left on device\n") != std::string::npos);
  }
}
