// pidns_test.cpp: inside a pid namespace (what a container is), taskscope numbers tasks as the
// namespace does: ps lists each process once, with the pids its processes see for themselves,
// and trace -p takes and reports those pids. Where /proc is another namespace's, it refuses.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <map>
#include <set>
#include <string>

#include "../support/support.h"
#include "bpf/bpf_common.h"

using namespace ts;
using nlohmann::json;

namespace {

// kScript runs in a new pid namespace with its own /proc, as pid 1: it starts the named_threads
// and clone_zoo fixtures, then taskscope ps from each source (and the BPF one on the open-coded
// walk), then trace clone and exit of
// clone_zoo while it makes its children, and prints each result as a section "== name".
const char* const kScript = R"(
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
sleep 120 | "$NAMED" 2 > "$D/named" &
sleep 120 | "$ZOO" > "$D/zoo" &
i=0
while [ ! -s "$D/named" ] || [ ! -s "$D/zoo" ]; do
  i=$((i + 1)); [ $i -gt 400 ] && { echo "fixtures did not start"; exit 3; }; sleep 0.05
done
ZP=$(sed 's/^{"pid":\([0-9]*\).*/\1/' "$D/zoo")
echo "== named"; cat "$D/named"
echo "== zoo"; cat "$D/zoo"
for s in bpf proc auto; do echo "== ps-$s"; "$TS" ps -L --source $s --json 2>&1; done
echo "== ps-walk"; TASKSCOPE_BPF_WALK=on "$TS" ps -L --source bpf --json 2>&1
"$TS" trace clone -p "$ZP" --json 6s > "$D/clone" 2> "$D/clone.err" &
C=$!
"$TS" trace exit -p "$ZP" --json 6s > "$D/exit" 2> "$D/exit.err" &
E=$!
i=0
while ! grep -q Tracing "$D/clone.err" || ! grep -q Tracing "$D/exit.err"; do
  i=$((i + 1)); [ $i -gt 400 ] && break; sleep 0.05
done
kill -USR1 "$ZP"
wait $C $E
echo "== clone"; cat "$D/clone" "$D/clone.err"
echo "== exit"; cat "$D/exit" "$D/exit.err"
)";

// sections() splits the script's output at its "== name" lines.
std::map<std::string, std::vector<std::string>> sections(const std::string& out) {
  std::map<std::string, std::vector<std::string>> s;
  std::string at;
  for (const std::string& l : test::lines(out)) {
    if (l.rfind("== ", 0) == 0) at = l.substr(3);
    else s[at].push_back(l);
  }
  return s;
}

// objects() parses the lines of a section that are JSON objects (the others are stderr's).
std::vector<json> objects(const std::vector<std::string>& ls) {
  std::vector<json> out;
  for (const std::string& l : ls) {
    json j = json::parse(l, nullptr, false);
    if (j.is_object()) out.push_back(std::move(j));
  }
  return out;
}

bool can_unshare() { return getuid() == 0 && access("/usr/bin/unshare", X_OK) == 0; }

}  // namespace

TEST_CASE("in a pid namespace ps lists each task once with the namespace's pids, and trace -p takes them",
          "[bpf][pidns][cli]") {
  if (!can_unshare()) {
    WARN("SKIPPED: needs root and unshare(1) to make a pid namespace");
    return;
  }
  const bpf::Support s = bpf::probe_support();
  TS_BPF_GATE(s.usable, s.why);
  setenv("TS", test::taskscope_bin().c_str(), 1);
  setenv("NAMED", test::fixture_path("named_threads").c_str(), 1);
  setenv("ZOO", test::fixture_path("clone_zoo").c_str(), 1);
  const test::RunResult r = test::run({"/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "/bin/sh", "-c", kScript});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto sec = sections(r.out);
  REQUIRE(sec["named"].size() == 1);
  REQUIRE(sec["zoo"].size() == 1);
  const json named = json::parse(sec["named"][0]);  // the fixture's own getpid() and gettid()s
  const json zoo = json::parse(sec["zoo"][0]);
  const int named_pid = named["pid"], zoo_pid = zoo["pid"];
  std::set<int> named_tids{named_pid};
  for (const json& t : named["threads"]) named_tids.insert(t["tid"].get<int>());

  std::map<std::string, std::set<int>> pids_by_source;
  // ps-walk: the open-coded walk, which is not pinned in a namespace (so not used unless asked).
  for (const char* src : {"ps-bpf", "ps-proc", "ps-auto", "ps-walk"}) {
    INFO(src);
    const auto rows = objects(sec[src]);
    REQUIRE(rows.size() == sec[src].size());  // nothing on stderr
    std::set<int> tids, pids, fixture_tids;
    size_t fixture_rows = 0;
    for (const json& row : rows) {
      CHECK(tids.insert(row["tid"].get<int>()).second);  // each task once
      pids.insert(row["pid"].get<int>());
      if (row["pid"] == named_pid) fixture_tids.insert(row["tid"].get<int>());
      if (row["cmd"].get<std::string>().find("named_threads") != std::string::npos) ++fixture_rows;
    }
    CHECK(fixture_tids == named_tids);
    CHECK(fixture_rows == named_tids.size());  // not once more under other (host) numbers
    CHECK(pids.count(1) == 1);  // the namespace's init: the script
    CHECK(pids.count(zoo_pid) == 1);
    pids_by_source[src] = pids;
  }
  // Both sources see the same processes (the ps that ran is the only one that differs).
  std::set<int> bpf = pids_by_source["ps-bpf"], proc = pids_by_source["ps-proc"];
  std::set<int> only;
  for (int p : bpf)
    if (!proc.count(p)) only.insert(p);
  for (int p : proc)
    if (!bpf.count(p)) only.insert(p);
  CHECK(only.size() <= 2);

  // trace -p with the namespace's pid: every clone is the fixture's (or its children's, which -p
  // follows), its thread's clone and exit carry the namespace's ids, and the forked child that
  // exits 42 is one the clone events reported.
  const auto clones = objects(sec["clone"]), exits = objects(sec["exit"]);
  std::set<int> thread_tids, child_pids, parents;
  size_t n_clones = 0;
  for (const json& c : clones) {
    if (c.value("type", "") != "clone") continue;
    ++n_clones;
    parents.insert(c["pid"].get<int>());  // the creator
    if (c["pid"] != zoo_pid) continue;
    if (c["child_pid"] == zoo_pid) thread_tids.insert(c["child_tid"].get<int>());
    else child_pids.insert(c["child_pid"].get<int>());
  }
  CHECK(n_clones >= 4);
  for (int p : parents) CHECK((p == zoo_pid || child_pids.count(p) == 1));
  REQUIRE(thread_tids.size() == 1);
  bool thread_exit = false, child_exit = false;
  for (const json& e : exits) {
    if (e.value("type", "") != "exit") continue;
    if (e["pid"] == zoo_pid && thread_tids.count(e["tid"].get<int>())) thread_exit = true;
    if (e["exit_code"].is_number() && e["exit_code"] == zoo["fork_exit_code"])
      child_exit = child_pids.count(e["pid"].get<int>()) == 1;
  }
  CHECK(thread_exit);
  CHECK(child_exit);
}

TEST_CASE("where /proc is another pid namespace's, ps and trace refuse in one line", "[bpf][pidns][cli]") {
  if (!can_unshare()) {
    WARN("SKIPPED: needs root and unshare(1) to make a pid namespace");
    return;
  }
  // No --mount-proc: /proc still numbers tasks as the parent namespace does.
  for (std::vector<std::string> args : {std::vector<std::string>{"ps"}, {"ps", "--source", "proc"}, {"trace", "exit", "-p", "1", "1s"}}) {
    std::vector<std::string> argv{"/usr/bin/unshare", "--pid", "--fork", test::taskscope_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    const test::RunResult r = test::run(argv);
    INFO(args[0] << ": " << r.err);
    CHECK(r.status == 1);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("taskscope: /proc belongs to another pid namespace", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}
