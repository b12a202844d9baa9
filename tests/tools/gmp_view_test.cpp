// gmp_view_test.cpp: `taskscope gmp` against a segment this test publishes for its own pid, so
// every printed value is known; plus symbolization of addresses in this very binary.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../goro/segment_builder.h"
#include "gmp_view.h"
#include "goro/reader.h"
#include "registry.h"
#include "../support/support.h"
#include "sym/proc_symbols.h"

using namespace ts;
using ts::test::SegmentBuilder;

extern "C" __attribute__((noinline)) void gmp_view_test_start_fn() { asm volatile(""); }

namespace {

__attribute__((noinline)) uint64_t return_address() {
  return reinterpret_cast<uint64_t>(__builtin_extract_return_addr(__builtin_return_address(0)));
}

// Published puts a segment at /dev/shm/goro.<own pid> for the test's lifetime.
struct Published {
  std::string path;
  explicit Published(SegmentBuilder& b) : path(goro::segment_path(getpid())) {
    unlink(path.c_str());
    const int fd = open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, b.bytes().data(), b.bytes().size()) == static_cast<ssize_t>(b.bytes().size()));
    close(fd);
  }
  ~Published() { unlink(path.c_str()); }
};

struct Cli {
  int status;
  std::string out, err;
};

Cli cli(std::vector<std::string> args) {
  args.insert(args.begin(), {"taskscope", "gmp"});
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  tools::Context ctx{out, err};
  const int rc = tools::run_cli(static_cast<int>(argv.size()), argv.data(), ctx);
  return {rc, out.str(), err.str()};
}

SegmentBuilder published_sample(uint64_t create_pc) {
  SegmentBuilder b(getpid(), 2, 4, 8);
  b.desc().start_unix_ns = static_cast<uint64_t>(time(nullptr)) * 1000000000ull;  // after our own start
  b.desc().m_count = 3;
  b.desc().g_hwm = 4;
  b.desc().global_runq_len = 1;
  b.p(0) = goro_p_rec{2, 0, GORO_P_RUNNING, 0, 3, 0, 0, 50, 1, 40, 3, 0};
  b.p(1) = goro_p_rec{2, 1, GORO_P_IDLE, -1, 0, 0, 0, 9, 0, 8, 0, 0};
  b.m(0) = goro_m_rec{2, 0, getpid(), 0, 0, 0, 0, 0, 1, {}};
  b.m(1) = goro_m_rec{2, 1, getpid(), -1, 0, 0, 1, 0, 0, {}};
  b.m(2) = goro_m_rec{2, 2, getpid(), -1, 0, 0, 0, GORO_MF_SYSMON, 0, {}};
  b.g(0).goid = 1; b.g(0).state = GORO_G_RUNNING; b.g(0).m_id = 0; b.g(0).flags = GORO_GF_MAIN | GORO_GF_LONG_RUNNING;
  b.g(0).run_since_ns = 1;  // boot: it has held its P a long time
  b.g(1).goid = 2; b.g(1).state = GORO_G_WAITING; b.g(1).wait_reason = GORO_WAIT_SLEEP; b.g(1).m_id = -1;
  b.g(1).parent_goid = 1; b.g(1).wait_since_ns = 1;  // boot: a long wait
  b.g(1).create_pc = create_pc;
  b.g(1).start_pc = reinterpret_cast<uint64_t>(&gmp_view_test_start_fn);
  b.g(2).goid = 3; b.g(2).state = GORO_G_DEAD; b.g(2).m_id = -1;
  b.g(3).goid = 4; b.g(3).state = GORO_G_WAITING; b.g(3).wait_reason = GORO_WAIT_CHAN_RECV; b.g(3).m_id = -1;
  b.g(3).parent_goid = 2; b.g(3).flags = GORO_GF_LONG_RUNNING;  // stale on a waiting G: not shown
  return b;
}

std::vector<nlohmann::json> ndjson(const std::string& text) {
  std::vector<nlohmann::json> v;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) v.push_back(nlohmann::json::parse(line));
  return v;
}

}  // namespace

TEST_CASE("ProcSymbols finds the function and line of addresses in this process", "[gmp][sym]") {
  sym::ProcSymbols syms(getpid());
  REQUIRE(syms.ok());
  const sym::Site& f = syms.lookup(reinterpret_cast<uint64_t>(&gmp_view_test_start_fn));
  CHECK(f.function == "gmp_view_test_start_fn");
  CHECK(f.offset == 0);
  CHECK(f.file.ends_with("gmp_view_test.cpp"));
  const uint64_t ra = return_address(); const int line = __LINE__;
  const sym::Site& c = syms.lookup(ra, true);
  CHECK(c.line == line);
  CHECK(sym::describe(c) == "gmp_view_test.cpp:" + std::to_string(line));
  CHECK(sym::describe(syms.lookup(0)) == "-");
}

TEST_CASE("short_function drops parameters and qualifiers", "[gmp][sym]") {
  CHECK(sym::short_function("ns::f(int) const") == "ns::f");
  CHECK(sym::short_function("main::{lambda()#1}::operator()() const") == "main::{lambda()#1}::operator()");
  CHECK(sym::short_function("plain") == "plain");
}

TEST_CASE("taskscope gmp --json reports every P, M and G of a published segment", "[gmp]") {
  const uint64_t ra = return_address(); const int line = __LINE__;
  SegmentBuilder b = published_sample(ra);
  Published pub(b);
  const Cli r = cli({std::to_string(getpid()), "--json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const auto objs = ndjson(r.out);
  REQUIRE(objs.size() == 1 + 2 + 3 + 3);  // dead G 3 hidden
  const auto& sched = objs[0];
  CHECK(sched["type"] == "sched");
  CHECK(sched["gomaxprocs"] == 2);
  CHECK(sched["idleprocs"] == 1);
  CHECK(sched["threads"] == 3);  // sysmon's M counts, as in Go
  CHECK(sched["long_running"] == nlohmann::json::array({1}));
  CHECK(sched["idlethreads"] == 1);
  CHECK(sched["runqueue"] == 1);
  CHECK(sched["runqs"] == nlohmann::json::array({3, 0}));
  CHECK(sched["uptime_ms"].get<uint64_t>() < 60000);
  CHECK(objs[1]["type"] == "p");
  CHECK(objs[1]["pid"] == getpid());
  CHECK(objs[1]["runq"] == 3);
  CHECK(objs[1]["status"] == "running");
  CHECK(objs[1]["m"] == 0);
  CHECK(objs[2]["m"].is_null());
  CHECK(objs[3]["type"] == "m");
  CHECK(objs[3]["pid"] == getpid());
  CHECK(objs[3]["tid"] == getpid());
  CHECK(objs[3]["tid_alive"] == true);
  CHECK(objs[4]["state"] == "parked");
  CHECK(objs[4]["sysmon"] == false);
  CHECK(objs[5]["state"] == "sysmon");
  CHECK(objs[5]["sysmon"] == true);
  CHECK(objs[6]["goid"] == 1);
  CHECK(objs[6]["flags"] == nlohmann::json::array({"main", "long-running"}));
  CHECK(objs[6]["run_ns"].get<uint64_t>() > 1000000);
  const auto& g2 = objs[7];
  CHECK(g2["type"] == "g");
  CHECK(g2["pid"] == getpid());
  CHECK(g2["goid"] == 2);
  CHECK(g2["state"] == "waiting");
  CHECK(g2["wait_reason"] == "sleep");
  CHECK(g2["wait_ns"].get<uint64_t>() > 1000000);
  CHECK(g2["parent"] == 1);
  CHECK(g2["created_at"]["line"] == line);
  CHECK(g2["start"]["function"] == "gmp_view_test_start_fn");
  CHECK(g2["run_ns"] == 0);
  CHECK(objs[8]["goid"] == 4);
  CHECK(objs[8]["flags"] == nlohmann::json::array());
  CHECK(cli({std::to_string(getpid()), "--json", "--all"}).out.find("\"goid\":3") != std::string::npos);
}

TEST_CASE("taskscope gmp prints a Go-style SCHED line and the P, M and G tables", "[gmp]") {
  const uint64_t ra = return_address(); const int line = __LINE__;
  SegmentBuilder b = published_sample(ra);
  Published pub(b);
  const Cli r = cli({std::to_string(getpid())});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Matches("SCHED [0-9]+ms: gomaxprocs=2 idleprocs=1 threads=3 spinningthreads=0 "
                                   "idlethreads=1 runqueue=1 \\[3 0\\]\n(.|\n)*"));
  CHECK_THAT(r.out, Catch::Contains("sleep"));
  CHECK_THAT(r.out, Catch::Contains("gmp_view_test.cpp:" + std::to_string(line)));
  CHECK_THAT(r.out, Catch::Contains("gmp_view_test_start_fn"));
  CHECK_THAT(r.out, Catch::Contains("main,long-running"));
  CHECK_THAT(r.out, Catch::Contains(", long-running: G1 ("));
  CHECK_THAT(r.out, Catch::Contains(" sysmon "));
  CHECK_THAT(r.out, Catch::Contains("parked"));
}

TEST_CASE("taskscope gmp -i shows switch rates between frames", "[gmp]") {
  SegmentBuilder b = published_sample(0);
  Published pub(b);
  const Cli r = cli({std::to_string(getpid()), "--json", "-i", "0.05", "-n", "2"});
  REQUIRE(r.status == 0);
  const auto objs = ndjson(r.out);
  REQUIRE(objs.size() == 2 * 9);
  CHECK_FALSE(objs[0].contains("switches_per_s"));
  CHECK(objs[9]["type"] == "sched");
  CHECK(objs[9]["switches_per_s"] == 0.0);  // the counters of a static segment do not move
}

TEST_CASE("taskscope gmp errors name the pid and what to do", "[gmp]") {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  const auto gone = test::run({test::taskscope_bin(), "gmp", std::to_string(child)});
  CHECK(gone.status == 1);
  CHECK(gone.err == "taskscope: no process with pid " + std::to_string(child) + "\n");
  test::Fixture other("segments");  // a C program: no goro state
  test::forget_stale_goro_segment(other.pid());
  const std::string ppid = std::to_string(other.pid());
  const auto plain = test::run({test::taskscope_bin(), "gmp", ppid});
  CHECK(plain.status == 1);
  CHECK(plain.err == "taskscope: pid " + ppid + " publishes no goro state (/dev/shm/goro." + ppid +
                         " not found): is it a goro program?\n");
  CHECK(test::run({test::taskscope_bin(), "gmp"}).status == 2);
  CHECK(test::run({test::taskscope_bin(), "gmp", ppid, "-n", "3"}).status == 2);
  const auto help = test::run({test::taskscope_bin(), "gmp", "--help"});
  CHECK(help.status == 0);
  CHECK_THAT(help.out, Catch::Contains("--json"));
}

TEST_CASE("taskscope gmp shows symbol names escaped: the target's debug info is untrusted", "[gmp][escape]") {
  SegmentBuilder b = published_sample(0x1234);
  Published pub(b);
  const GoroSnapshot s = goro::read_goro(getpid());
  tools::GmpView v;
  v.symbolize = [](uint64_t pc, bool) {
    sym::Site site;
    site.pc = pc;
    site.function = "evil\x1b[2J\nfn";
    return site;
  };
  std::ostringstream out;
  tools::print_gmp_text(out, s, v);
  INFO(out.str());
  CHECK(out.str().find('\x1b') == std::string::npos);
  CHECK(out.str().find("evil\\x1b[2J\\x0afn") != std::string::npos);
}

TEST_CASE("taskscope gmp --json rows are exactly what nlohmann prints for them: keys sorted, strings escaped", "[gmp][escape]") {
  // The G rows are written by a streaming writer (100k Gs); each line must be the one json_line()
  // would print for the same object: parsing and dumping it again gives it back byte for byte.
  SegmentBuilder b = published_sample(0x1234);
  Published pub(b);
  const GoroSnapshot s = goro::read_goro(getpid());
  tools::GmpView v;
  v.all_gs = true;
  v.symbolize = [](uint64_t pc, bool) {
    sym::Site site;
    site.pc = pc;
    site.module = "m\"od\\";
    site.function = "evil\x1b[2J\n\"fn\xff\xfe";
    site.file = "/src/\x01\xc3\x28.go";
    site.line = 7;
    return site;
  };
  std::ostringstream out;
  tools::print_gmp_json(out, s, v);
  size_t g_rows = 0;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) {
    INFO(line);
    const nlohmann::json j = nlohmann::json::parse(line);
    CHECK(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) == line);
    if (j["type"] != "g") continue;
    ++g_rows;
    if (j["goid"] == 2) {
      CHECK(j["created_at"]["function"] == "evil\x1b[2J\n\"fn\xef\xbf\xbd\xef\xbf\xbd");
      CHECK(j["created_at"]["module"] == "m\"od\\");
      CHECK(j["start_name"] == "evil\x1b[2J\n\"fn\xef\xbf\xbd\xef\xbf\xbd");
      CHECK(j["wait_reason"] == "sleep");
      CHECK(j.contains("sp"));
    }
  }
  CHECK(g_rows == 4);
}
