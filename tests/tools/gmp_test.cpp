// gmp_test.cpp: `taskscope gmp PID --json` against a real goro program (tests/fixtures/goro_gmp_target)
// whose Gs are blocked in known ways: the facts it prints are what the tool must report.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "../support/support.h"

using nlohmann::json;

namespace {

std::vector<json> ndjson(const std::string& text) {
  std::vector<json> v;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) v.push_back(json::parse(line));
  return v;
}

std::set<int> task_ids(int pid) {
  std::set<int> tids;
  if (DIR* d = opendir(("/proc/" + std::to_string(pid) + "/task").c_str())) {
    while (const dirent* e = readdir(d))
      if (e->d_name[0] != '.') tids.insert(std::atoi(e->d_name));
    closedir(d);
  }
  return tids;
}

// kind_of() is the facts key ("chan_receive", "sleep", "mutex") whose goid list holds goid.
std::string kind_of(const json& facts, const json& goid) {
  for (const char* k : {"chan_receive", "sleep", "mutex"})
    for (const json& id : facts[k])
      if (id == goid) return k;
  return "";
}

// reasons() maps goid -> wait reason ("" when not waiting) from one run of the tool.
std::map<uint64_t, std::string> reasons(const std::vector<json>& objs) {
  std::map<uint64_t, std::string> r;
  for (const json& o : objs)
    if (o["type"] == "g") r[o["goid"].get<uint64_t>()] = o["wait_reason"].get<std::string>();
  return r;
}

}  // namespace

TEST_CASE("taskscope gmp reports a goro program's Ps, its Ms' kernel tids and its blocked Gs", "[gmp][e2e]") {
  ts::test::Fixture fx("goro_gmp_target", {"4"});
  const json facts = json::parse(fx.facts());
  const int pid = facts["pid"];
  REQUIRE(pid == fx.pid());
  const std::map<std::string, std::string> expected_reason = {
      {"chan_receive", "chan receive"}, {"sleep", "sleep"}, {"mutex", "sync.Mutex.Lock"}};

  // The fixture prints its facts once every G has been started; poll briefly until all have parked.
  std::vector<json> objs;
  bool all_parked = false;
  for (int attempt = 0; attempt < 50 && !all_parked; ++attempt) {
    if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto r = ts::test::run({ts::test::taskscope_bin(), "gmp", std::to_string(pid), "--json"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    objs = ndjson(r.out);
    const auto got = reasons(objs);
    all_parked = true;
    for (const auto& [key, reason] : expected_reason)
      for (const json& id : facts[key]) all_parked &= got.count(id.get<uint64_t>()) && got.at(id.get<uint64_t>()) == reason;
    // Settled: with every G blocked no M spins for long; a record left saying "spinning" is stale.
    all_parked &= !objs.empty() && objs.front().value("spinningthreads", -1) == 0;
  }
  REQUIRE(!objs.empty());
  const json& sched = objs.front();
  CHECK(sched["type"] == "sched");
  CHECK(sched["pid"] == pid);
  CHECK(sched["gomaxprocs"] == facts["gomaxprocs"]);
  CHECK(sched["torn"] == 0);
  CHECK(sched["spinningthreads"] == 0);

  size_t ps = 0, sysmons = 0;
  const std::set<int> tids = task_ids(pid);
  std::set<int> m_tids;
  for (const json& o : objs) {
    if (o["type"] == "p") ++ps;
    if (o["type"] == "m") {
      INFO("M " << o.dump());
      CHECK(tids.count(o["tid"].get<int>()) == 1);
      CHECK(o["tid_alive"] == true);
      m_tids.insert(o["tid"].get<int>());
      if (o["sysmon"] == true) {
        ++sysmons;
        CHECK(o["state"] == "sysmon");
        CHECK(o["p"].is_null());
        CHECK(o["g"].is_null());
      }
    }
  }
  CHECK(ps >= facts["gomaxprocs"].get<size_t>());
  CHECK(!m_tids.empty());
  CHECK(m_tids.size() == sched["threads"].get<size_t>());
  // Every thread of the process is a runtime M, sysmon's included (Go's threads=): the fixture
  // starts no thread of its own.
  CHECK(sysmons == 1);
  CHECK(sched["threads"].get<size_t>() == tids.size());

  const auto got = reasons(objs);
  for (const auto& [key, reason] : expected_reason) {
    REQUIRE(facts[key].size() == facts["k"].get<size_t>());
    for (const json& id : facts[key]) {
      INFO(key << " goid " << id);
      REQUIRE(got.count(id.get<uint64_t>()) == 1);
      CHECK(got.at(id.get<uint64_t>()) == reason);
    }
  }
  for (const json& o : objs)
    if (o["type"] == "g" && o["goid"] != facts["main_goid"]) {
      INFO("G " << o.dump());
      CHECK(o["parent"] == facts["main_goid"]);
      CHECK(o["state"] == "waiting");
      // goro::go is always_inline: the creation site is the line in main's lambda that called it
      // (found through DWARF's inline chain), never the runtime header.
      CHECK(o["created_at"]["function"].get<std::string>().starts_with("main::"));
      CHECK(o["created_at"].value("file", "").ends_with("tests/fixtures/goro_gmp_target.cpp"));
      CHECK(o["created_at"].value("line", 0) == facts["go_line"][kind_of(facts, o["goid"])].get<int>());
      CHECK(o["start_name"].get<std::string>().starts_with("main::"));
      CHECK(o["wait_ns"].get<uint64_t>() > 0);
      CHECK(o["stack_lo"] < o["stack_hi"]);
      CHECK(o["sp"] != "0x0");
    }
  CHECK(fx.stop() == 0);
}

TEST_CASE("taskscope gmp text view of a real goro program", "[gmp][e2e]") {
  ts::test::Fixture fx("goro_gmp_target", {"1"});
  const json facts = json::parse(fx.facts());
  const auto r = ts::test::run({ts::test::taskscope_bin(), "gmp", std::to_string(fx.pid())});
  INFO(r.out << r.err);
  // CREATED AT is the file:line of the goro::go call.
  CHECK_THAT(r.out, Catch::Contains(" goro_gmp_target.cpp:" + std::to_string(facts["go_line"]["sleep"].get<int>()) + " "));
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::StartsWith("SCHED "));
  CHECK_THAT(r.out, Catch::Contains("gomaxprocs=2 "));
  CHECK_THAT(r.out, Catch::Contains("chan receive"));
  CHECK_THAT(r.out, Catch::Contains(" main::"));
  CHECK(fx.stop() == 0);
}

TEST_CASE("taskscope gmp as another user: the segment is owner-only, and the error says who may read it", "[gmp][e2e]") {
  if (geteuid() != 0) {
    WARN("SKIPPED: needs root to run taskscope as another user");
    return;
  }
  ts::test::Fixture fx("goro_gmp_target", {"1"});
  const std::string pid = std::to_string(fx.pid());
  const auto r = ts::test::run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                ts::test::taskscope_bin(), "gmp", pid});
  CHECK(r.status == 1);
  CHECK(r.out.empty());  // nothing of the G table (code addresses, stack pointers) leaks to it
  CHECK(r.err == "taskscope: cannot read /dev/shm/goro." + pid +
                     ": permission denied (goro segments are readable by their owner only: run as the owner of pid " +
                     pid + " (uid 0) or as root)\n");
  CHECK(fx.stop() == 0);
}

namespace {

// Watch is `taskscope gmp PID -i 0.02` running on a thread, its stdout going to a file so the test
// can see its first frame while it runs.
struct Watch {
  std::string file;
  ts::test::RunResult r;
  std::thread t;

  explicit Watch(int pid) : file("/tmp/gmp_watch." + std::to_string(getpid()) + "." + std::to_string(pid)) {
    t = std::thread([this, pid] {
      r = ts::test::run({"/bin/sh", "-c", "exec " + ts::test::taskscope_bin() + " gmp " + std::to_string(pid) + " -i 0.02 >" + file},
                        std::chrono::seconds(30));
    });
  }
  ~Watch() {
    if (t.joinable()) t.join();
    unlink(file.c_str());
  }
  std::string out() const {
    std::ifstream f(file);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  // first_frame() waits (up to 20 s) until a frame was printed.
  bool first_frame() const {
    for (int i = 0; i < 2000; ++i) {
      if (out().find("SCHED ") != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
};

}  // namespace

TEST_CASE("taskscope gmp -i ends quietly with status 0 when the program exits normally", "[gmp][e2e]") {
  // The fixture lingers 1 s after goro::run returned: its segment is gone, the process is not.
  ts::test::Fixture fx("goro_gmp_target", {"1", "1000"});
  Watch w(fx.pid());
  REQUIRE(w.first_frame());
  CHECK(fx.stop() == 0);
  w.t.join();
  INFO(w.r.err);
  CHECK_FALSE(w.r.timed_out);
  CHECK(w.r.status == 0);
  CHECK(w.r.err.empty());
  CHECK_THAT(w.out(), Catch::StartsWith("SCHED "));
}

TEST_CASE("taskscope gmp -i ends quietly with status 0 when the program dies of SIGTERM", "[gmp][e2e]") {
  ts::test::Fixture fx("goro_gmp_target", {"1"});
  Watch w(fx.pid());
  REQUIRE(w.first_frame());
  REQUIRE(kill(fx.pid(), SIGTERM) == 0);
  w.t.join();  // the fixture is not reaped yet: its pid (a zombie) still answers kill(pid, 0)
  INFO(w.r.err);
  CHECK_FALSE(w.r.timed_out);
  CHECK(w.r.status == 0);
  CHECK(w.r.err.empty());
  CHECK(fx.stop() == 128 + SIGTERM);
}

TEST_CASE("taskscope gmp marks a G that spins without yielding, with how long it has held its P", "[gmp][e2e][hog]") {
  ts::test::Fixture fx("goro_hog");
  const json facts = json::parse(fx.facts());
  const uint64_t hog = facts["hog_goid"];
  const std::string pid = std::to_string(fx.pid());
  json g, sched;
  for (int attempt = 0; attempt < 100 && !g.is_object(); ++attempt) {  // sysmon flags it after 10 ms
    if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto r = ts::test::run({ts::test::taskscope_bin(), "gmp", pid, "--json"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    for (const json& o : ndjson(r.out)) {
      if (o["type"] == "sched") sched = o;
      if (o["type"] == "g" && o["goid"] == hog && o["flags"].dump().find("long-running") != std::string::npos) g = o;
    }
  }
  REQUIRE(g.is_object());
  INFO(g.dump());
  CHECK(g["state"] == "running");
  CHECK(g["run_ns"].get<uint64_t>() >= 9'000'000);  // held its P 10 ms by sysmon's clock (ours is 1 ms coarser)
  CHECK(g["wait_ns"] == 0);
  CHECK(sched["long_running"] == json::array({hog}));

  const auto t = ts::test::run({ts::test::taskscope_bin(), "gmp", pid});
  INFO(t.out << t.err);
  REQUIRE(t.status == 0);
  CHECK_THAT(t.out, Catch::Contains(", long-running: G" + std::to_string(hog) + " ("));
  bool row = false;
  for (const std::string& l : ts::test::lines(t.out)) {
    const auto w = ts::test::words(l);
    // GOID STATE FOR M PARENT FLAGS ...: the running hog has no WAIT column value.
    if (w.size() > 5 && w[0] == std::to_string(hog)) row = w[1] == "running" && w[5] == "long-running";
  }
  CHECK(row);
  CHECK(fx.stop() == 0);
}
