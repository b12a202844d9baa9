// collect_runtime_test.cpp: the RT column's runtimes: a Go program found from its executable (with
// its version), goro from the /dev/shm listing, anything else absent; each executable read once.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "../support/support.h"
#include "model/error.h"
#include "procfs/proc_source.h"
#include "view/collect_pass.h"
#include "view/collect_runtime.h"

using namespace ts;
using nlohmann::json;

TEST_CASE("go_short_version keeps major.minor", "[collector][go]") {
  CHECK(view::go_short_version("go1.19.8") == "go1.19");
  CHECK(view::go_short_version("go1.21") == "go1.21");
  CHECK(view::go_short_version("") == "go");
  CHECK(view::is_go_runtime("go1.19"));
  CHECK(view::is_go_runtime("go"));
  CHECK_FALSE(view::is_go_runtime("goro"));
  CHECK_FALSE(view::is_go_runtime(""));
}

TEST_CASE("RuntimeCache: a Go program by its executable, goro by its segment, each executable read once",
          "[collector][go]") {
  test::Fixture go("go_gmp_target", {"1"});
  const json facts = json::parse(go.facts());
  const int32_t go_pid = facts["pid"];
  test::Fixture go2("go_gmp_target", {"1"});  // the same executable again
  const int32_t go2_pid = json::parse(go2.facts())["pid"];
  test::Fixture plain("named_threads", {"1"});
  const int32_t plain_pid = json::parse(plain.facts())["pid"];
  auto src = make_proc_source();
  Request req;
  req.pids = {go_pid, go2_pid, plain_pid, getpid()};
  req.fields = static_cast<Fields>(Field::Times);
  const Snapshot snap = src->snapshot(req);
  REQUIRE(snap.processes.size() == 4);

  view::RuntimeCache cache;
  // The first frame's budget of 0 reads no executable: nothing is known yet, nothing is guessed.
  CHECK(cache.update(snap, {}, 0).empty());
  CHECK(cache.exe_reads() == 0);

  const view::Runtimes rt = cache.update(snap, {getpid()}, 10'000'000'000ull);
  std::string version = facts["go_version"];
  version = version.substr(0, version.find('.', version.find('.') + 1));
  REQUIRE(rt.count(go_pid));
  CHECK(rt.at(go_pid) == version);
  CHECK(rt.at(go2_pid) == version);
  CHECK(rt.at(getpid()) == "goro");  // listed as having a segment: goro, whatever its executable
  CHECK(rt.count(plain_pid) == 0);
  CHECK(rt.size() == 3);
  CHECK(cache.exe_reads() == 2);  // the Go executable once for both, named_threads once

  // Later frames read nothing again.
  CHECK(cache.update(snap, {getpid()}, 10'000'000'000ull) == rt);
  CHECK(cache.exe_reads() == 2);
}

TEST_CASE("CollectPass reads a Go program's G/M/P (as gmp does) only once asked, beside goro's", "[collector][go]") {
  test::Fixture go("go_gmp_target", {"2"});
  const int32_t pid = json::parse(go.facts())["pid"];
  view::PassSetup setup;
  setup.pids = {pid};
  view::CollectPass pass(make_proc_source(), nullptr, setup);
  const Fields fields = Field::Times | Field::State;
  const auto first = pass.run(fields);
  CHECK(first->runtimes.empty());  // the first pass reads no executable: it must be quick
  const auto second = pass.run(fields);
  REQUIRE(second->runtimes.count(pid));
  CHECK(view::is_go_runtime(second->runtimes.at(pid)));
  CHECK(second->goro.count(pid) == 0);  // not asked: its memory is not read
  pass.set_gmp_pids({pid});
  const auto third = pass.run(fields);
  INFO((third->gmp_errors.count(pid) ? third->gmp_errors.at(pid) : ""));
  REQUIRE(third->goro.count(pid) == 1);
  const GoroSnapshot& g = third->goro.at(pid);
  CHECK(g.gomaxprocs >= 1);
  CHECK_FALSE(g.ms.empty());
  const Process* p = third->snap.find(pid);
  REQUIRE(p);
  // The Ms are the process's LWPs (M.procid is the TID). Go may start an M between the snapshot
  // and the read of its memory: that one is not in the snapshot yet, the others are.
  size_t joined = 0, alive = 0;
  for (const GoroM& m : g.ms) {
    if (m.tid <= 0 || !m.tid_alive) continue;
    ++alive;
    joined += std::any_of(p->tasks.begin(), p->tasks.end(), [&](const Task& t) { return t.tid == m.tid; });
  }
  CHECK(joined >= 2);  // the spinning G's M and main's
  CHECK(joined + 1 >= alive);
  CHECK(pass.runtimes().exe_reads() == 1);  // read once, in the second pass
}

TEST_CASE("RuntimeCache keeps a Go reader per process across passes, a new one for a restarted pid, none for a gone one",
          "[collector][go]") {
  test::Fixture go("go_gmp_target", {"2"});
  const json facts = json::parse(go.facts());
  const int32_t pid = facts["pid"];
  auto src = make_proc_source();
  Request req;
  req.pids = {pid};
  req.fields = static_cast<Fields>(Field::Times);
  Snapshot snap = src->snapshot(req);
  REQUIRE(snap.processes.size() == 1);
  view::RuntimeCache cache;
  REQUIRE(view::is_go_runtime(cache.update(snap, {}, 10'000'000'000ull).at(pid)));
  const GoroSnapshot first = cache.read_go(pid);
  CHECK(first.find_g(facts["main"]));
  CHECK(cache.read_go(pid).find_g(facts["main"]));
  CHECK(cache.go_opens() == 1);  // the second pass read memory only
  cache.update(snap, {}, 10'000'000'000ull);
  CHECK(cache.read_go(pid).find_g(facts["main"]));
  CHECK(cache.go_opens() == 1);
  CHECK(cache.go_readers() == 1);
  // The pid now names another process (another start time): its executable is opened anew.
  for (Task& t : snap.processes.front().tasks) t.start_ns += 1'000'000'000;
  cache.update(snap, {}, 10'000'000'000ull);
  CHECK(cache.go_readers() == 0);
  CHECK(cache.read_go(pid).find_g(facts["main"]));
  CHECK(cache.go_opens() == 2);
  // Gone from the snapshot: its reader is dropped, and it is not read.
  cache.update(Snapshot{}, {}, 10'000'000'000ull);
  CHECK(cache.go_readers() == 0);
  CHECK_THROWS_AS(cache.read_go(pid), Gone);
}
