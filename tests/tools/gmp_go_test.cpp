// gmp_go_test.cpp: `taskscope gmp PID` on an unmodified Go program (tests/fixtures/go_gmp_target,
// built by the go tool at test time) against the facts it prints, and cross-checked against the Go
// runtime's own view of the same process: GODEBUG=schedtrace=1000,scheddetail=1 while it runs,
// and the SIGQUIT goroutine dump at its end.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "../support/support.h"
#include "gort/go_traceback.h"
#include "sym/proc_symbols.h"

using nlohmann::json;

namespace {

std::vector<json> gmp_json(int pid, bool all = false) {
  std::vector<std::string> argv{ts::test::taskscope_bin(), "gmp", std::to_string(pid), "--json"};
  if (all) argv.push_back("-a");
  const auto r = ts::test::run(argv, std::chrono::seconds(30));
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::vector<json> v;
  for (const std::string& l : ts::test::lines(r.out)) v.push_back(json::parse(l));
  REQUIRE(!v.empty());
  return v;
}

// gs() maps goid -> the tool's "g" object.
std::map<uint64_t, json> gs(const std::vector<json>& objs) {
  std::map<uint64_t, json> m;
  for (const json& o : objs)
    if (o["type"] == "g") m[o["goid"].get<uint64_t>()] = o;
  return m;
}

std::set<int> task_ids(int pid) {
  std::set<int> tids;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task"))
    tids.insert(std::stoi(e.path().filename().string()));
  return tids;
}

// mutex_reason() is how Go spells a G parked on a contended sync.Mutex: 1.19 says semacquire.
std::string mutex_reason(const json& facts) {
  return facts["go_version"].get<std::string>().rfind("go1.19", 0) == 0 ? "semacquire" : "sync.Mutex.Lock";
}

// check_facts() asserts that the tool's read agrees with what the program says of itself.
void check_facts(const json& facts, const std::vector<json>& objs) {
  const json& sched = objs.front();
  CHECK(sched["type"] == "sched");
  CHECK(sched["pid"] == facts["pid"]);
  CHECK(sched["runtime"] == facts["go_version"]);
  CHECK(sched["gomaxprocs"] == facts["gomaxprocs"]);
  CHECK(sched["torn"] == 0);
  const auto g = gs(objs);
  const std::map<std::string, std::string> reason{
      {"chan_receive", "chan receive"}, {"select", "select"}, {"sleep", "sleep"}, {"mutex", mutex_reason(facts)}};
  for (const auto& [key, why] : reason)
    for (const json& id : facts[key]) {
      INFO(key << " goid " << id);
      REQUIRE(g.count(id.get<uint64_t>()) == 1);
      CHECK(g.at(id.get<uint64_t>())["state"] == "waiting");
      CHECK(g.at(id.get<uint64_t>())["wait_reason"] == why);
      CHECK(g.at(id.get<uint64_t>())["start_name"].get<std::string>().starts_with("main.main.func"));
      CHECK(g.at(id.get<uint64_t>())["created_at"]["function"].get<std::string>().starts_with("main.main"));
    }
  for (const json& id : facts["syscall"]) CHECK(g.at(id.get<uint64_t>())["state"] == "syscall");
  CHECK(g.at(facts["main"].get<uint64_t>())["state"] == "syscall");  // main reads its stdin
  CHECK(g.at(facts["main"].get<uint64_t>())["flags"] == json::array({"main"}));
  CHECK(g.at(facts["main"].get<uint64_t>())["created_at"].is_null());  // as Go: no go statement made it
  const std::string spin = g.at(facts["spinning"][0].get<uint64_t>())["state"];
  CHECK((spin == "running" || spin == "runnable"));
  // runtime.NumGoroutine() counts the Gs that are neither dead nor the runtime's own.
  size_t user = 0;
  for (const auto& [id, o] : g) user += o["flags"].empty() || o["flags"] == json::array({"main"});
  CHECK(user == facts["num_goroutine"].get<size_t>());

  // Ms join LWPs by m.procid: each M's tid is a thread of the process; the running G's M holds a P.
  const std::set<int> tids = task_ids(facts["pid"]);
  size_t ps = 0, ms = 0, sysmons = 0;
  for (const json& o : objs) {
    if (o["type"] == "p") ++ps;
    if (o["type"] != "m") continue;
    ++ms;
    sysmons += o["sysmon"] == true;
    INFO("M " << o.dump());
    CHECK(tids.count(o["tid"].get<int>()) == 1);
    if (o["g"] == facts["spinning"][0]) CHECK(!o["p"].is_null());
  }
  CHECK(ps == facts["gomaxprocs"].get<size_t>());
  CHECK(ms == tids.size());  // the program starts no thread the runtime does not know as an M
  CHECK(sysmons == 1);       // m.mstartfn is runtime.sysmon on exactly one M
}

}  // namespace

TEST_CASE("taskscope gmp reads an unmodified Go program: Ps, Ms joined to LWPs, Gs with wait reasons", "[gmp][go][e2e]") {
  const int procs = GENERATE(1, 4);
  ts::test::Fixture fx("go_gmp_target", {"4", "procs=" + std::to_string(procs)});
  const json facts = json::parse(fx.facts());
  REQUIRE(facts["gomaxprocs"] == procs);
  check_facts(facts, gmp_json(fx.pid()));

  // The text view says the same in Go's words.
  const auto r = ts::test::run({ts::test::taskscope_bin(), "gmp", std::to_string(fx.pid())});
  REQUIRE(r.status == 0);
  CHECK(r.out.find("gomaxprocs=" + std::to_string(procs)) != std::string::npos);
  CHECK(r.out.find(facts["go_version"].get<std::string>()) != std::string::npos);
  CHECK(r.out.find(mutex_reason(facts)) != std::string::npos);
  CHECK(ts::test::raw_control(r.out) < 0);
  CHECK(fx.stop() == 0);
}

namespace {

// SchedBlock is one schedtrace report (scheddetail=1): the SCHED line's gomaxprocs, and per P,
// M and G what it printed.
struct SchedBlock {
  int gomaxprocs = -1;
  std::set<int> ps, ms;
  std::map<uint64_t, std::pair<int, std::string>> gs;  // goid -> (status, wait reason text)
};

// sched_blocks() parses every complete schedtrace report in text (the last one may be cut short:
// it is complete only once another begins).
std::vector<SchedBlock> sched_blocks(const std::string& text) {
  static const std::regex sched_re(R"(^SCHED \d+ms: gomaxprocs=(\d+) )"), p_re(R"(^  P(\d+): status=)"),
      m_re(R"(^  M(\d+): p=)"), g_re(R"(^  G(\d+): status=(\d+)\((.*)\) m=)");
  std::vector<SchedBlock> out;
  std::smatch m;
  for (const std::string& l : ts::test::lines(text)) {
    if (std::regex_search(l, m, sched_re)) out.emplace_back().gomaxprocs = std::stoi(m[1]);
    else if (out.empty()) continue;
    else if (std::regex_search(l, m, p_re)) out.back().ps.insert(std::stoi(m[1]));
    else if (std::regex_search(l, m, m_re)) out.back().ms.insert(std::stoi(m[1]));
    else if (std::regex_search(l, m, g_re)) out.back().gs[std::stoull(m[1])] = {std::stoi(m[2]), m[3]};
  }
  if (!out.empty()) out.pop_back();
  return out;
}

// dump_headers() maps goid -> the bracketed state of each "goroutine N [state]:" header of a
// SIGQUIT dump, without ", N minutes" and ", locked to thread".
std::map<uint64_t, std::string> dump_headers(const std::string& text) {
  static const std::regex h(R"(^goroutine (\d+) \[([^,\]]*)[^\]]*\]:$)");
  std::map<uint64_t, std::string> out;
  std::smatch m;
  for (const std::string& l : ts::test::lines(text))
    if (std::regex_match(l, m, h)) out[std::stoull(m[1])] = m[2];
  return out;
}

// dump_created_by() maps goid -> the "created by" lines of its traceback in a SIGQUIT dump ("" for
// a goroutine without them), each line ending in '\n'.
std::map<uint64_t, std::string> dump_created_by(const std::string& text) {
  static const std::regex h(R"(^goroutine (\d+) \[)");
  std::map<uint64_t, std::string> out;
  const std::vector<std::string> ls = ts::test::lines(text);
  uint64_t cur = 0;
  std::smatch m;
  for (size_t i = 0; i < ls.size(); ++i) {
    if (std::regex_search(ls[i], m, h)) out[cur = std::stoull(m[1])] = "";
    else if (cur && ls[i].rfind("created by ", 0) == 0 && i + 1 < ls.size()) out[cur] = ls[i] + "\n" + ls[i + 1] + "\n";
  }
  return out;
}

// exited() tells whether pid has exited (a zombie waiting for its parent, the test).
bool exited(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const auto close = line.rfind(')');
  return close == std::string::npos || (close + 2 < line.size() && line[close + 2] == 'Z');
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// go_word() is how the tool's G would appear in Go's own dumps: the wait reason of a waiting G,
// else its status.
std::string go_word(const json& g) { return g["state"] == "waiting" ? g["wait_reason"] : g["state"]; }

}  // namespace

TEST_CASE("taskscope gmp agrees with the Go runtime's own schedtrace and SIGQUIT dump of the same process", "[gmp][go][e2e]") {
  const int procs = GENERATE(1, 4);
  const std::string trace = ts::test::build_dir() + "/tmp/go_gmp_trace." + std::to_string(getpid()) + "." + std::to_string(procs);
  std::filesystem::create_directories(std::filesystem::path(trace).parent_path());
  std::filesystem::remove(trace);
  ts::test::Fixture fx("go_gmp_target", {"3", "procs=" + std::to_string(procs), "trace=" + trace});
  const json facts = json::parse(fx.facts());
  const uint64_t spinning = facts["spinning"][0];

  // schedtrace reports once a second: wait for a complete report begun after the facts line.
  const std::string at_facts = slurp(trace);
  size_t begun = 0;
  for (const std::string& l : ts::test::lines(at_facts)) begun += l.rfind("SCHED ", 0) == 0;
  std::vector<SchedBlock> blocks;
  for (int i = 0; i < 100 && blocks.size() < begun + 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    blocks = sched_blocks(slurp(trace));
  }
  REQUIRE(blocks.size() >= begun + 1);
  const SchedBlock& go = blocks[begun];
  const std::vector<json> objs = gmp_json(fx.pid(), true);
  check_facts(facts, objs);
  const json& sched = objs.front();
  CHECK(sched["gomaxprocs"] == go.gomaxprocs);
  std::set<int> ps, ms;
  for (const json& o : objs) {
    if (o["type"] == "p") ps.insert(o["id"].get<int>());
    if (o["type"] == "m") ms.insert(o["id"].get<int>());
  }
  CHECK(ps == go.ps);
  CHECK(ms == go.ms);
  // Every G schedtrace lists (dead ones too: gmp -a), with the same status; a waiting G with the
  // same reason. Only the spinning G may differ (running or preempted to runnable between reads).
  const auto g = gs(objs);
  CHECK(g.size() == go.gs.size());
  static const std::map<int, std::string> kGoStatus{{1, "runnable"}, {2, "running"}, {3, "syscall"}, {4, "waiting"}, {6, "dead"}};
  for (const auto& [id, st] : go.gs) {
    INFO("G" << id << " schedtrace status=" << st.first << "(" << st.second << ")");
    REQUIRE(g.count(id) == 1);
    if (id == spinning) continue;
    CHECK(g.at(id)["state"] == kGoStatus.at(st.first & ~0x1000));
    if (st.first == 4) CHECK(g.at(id)["wait_reason"] == st.second);
  }

  // Just before the end, read again, then ask Go for its own dump (SIGQUIT) and compare each G.
  const auto before_quit = gs(gmp_json(fx.pid()));
  // Each G's creation site as Go would print it, from the g.gopc gmp read (symbolized while the
  // process lives).
  std::map<uint64_t, std::string> created_by;
  ts::sym::ProcSymbols symbols(fx.pid());
  for (const auto& [id, o] : before_quit) {
    const json& at = o["created_at"];
    const ts::sym::Site site = at.is_null() ? ts::sym::Site{} : symbols.lookup(std::stoull(at["pc"].get<std::string>(), nullptr, 16), true);
    created_by[id] = ts::gort::go_created_by(site, id, o["parent"].is_null() ? 0 : o["parent"].get<uint64_t>(), facts["go_version"].get<std::string>());
  }
  REQUIRE(kill(fx.pid(), SIGQUIT) == 0);
  for (int i = 0; i < 1000 && !exited(fx.pid()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const int status = fx.stop();
  CHECK(status == 2);  // Go exits 2 after a SIGQUIT dump
  const auto dump = dump_headers(slurp(trace));
  const auto created = dump_created_by(slurp(trace));
  REQUIRE(!dump.empty());
  std::set<uint64_t> dumped;
  for (const auto& [id, word] : dump) {
    if (id == 0) continue;  // the signal handler's g0, not a goroutine of allgs
    dumped.insert(id);
    INFO("goroutine " << id << " [" << word << "]");
    REQUIRE(before_quit.count(id) == 1);
    if (id == spinning) CHECK((word == "running" || word == "runnable"));
    else CHECK(go_word(before_quit.at(id)) == word);
    // "created by main.main" / "\t/path/main.go:LINE +0x..", and none for goroutine 1, as Go prints.
    CHECK(created_by.at(id) == created.at(id));
    if (const json& at = before_quit.at(id)["created_at"]; !at.is_null()) {
      CHECK(created.at(id).find("\t" + at.value("file", std::string("?")) + ":" + std::to_string(at.value("line", 0)) + " +") != std::string::npos);
    }
  }
  std::set<uint64_t> read;
  for (const auto& [id, o] : before_quit) read.insert(id);
  CHECK(read == dumped);
  std::filesystem::remove(trace);
}

TEST_CASE("taskscope gmp on a stripped Go binary says what is missing and what still works", "[gmp][go]") {
  ts::test::Fixture fx("go_gmp_target_stripped", {"1"});
  const auto r = ts::test::run({ts::test::taskscope_bin(), "gmp", std::to_string(fx.pid())});
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  CHECK(ts::test::lines(r.err).size() == 1);
  CHECK(r.err.find("taskscope: pid " + std::to_string(fx.pid()) + " is a go1.") == 0);
  CHECK(r.err.find("without symbols and DWARF (-ldflags='-s -w')") != std::string::npos);
  CHECK(r.err.find("ps, threads and maps still work") != std::string::npos);
  // ... and they do.
  CHECK(ts::test::run({ts::test::taskscope_bin(), "threads", std::to_string(fx.pid())}).status == 0);
  CHECK(ts::test::run({ts::test::taskscope_bin(), "maps", std::to_string(fx.pid())}).status == 0);
}

TEST_CASE("taskscope gmp on a process that is neither Go nor goro says so", "[gmp][go]") {
  const auto r = ts::test::run({ts::test::taskscope_bin(), "gmp", std::to_string(getpid())});
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "taskscope: pid " + std::to_string(getpid()) + " publishes no goro state (/dev/shm/goro." +
                     std::to_string(getpid()) + " not found): is it a goro program?\n");
}

TEST_CASE("taskscope gmp on a Go program that exits while it is read: a clean message, exit 1", "[gmp][go]") {
  ts::test::Fixture fx("go_gmp_target", {"200", "exit"});
  const std::string pid = std::to_string(fx.pid());
  // The program exits 50 ms after its facts: read until it is gone. Every read either succeeds or
  // fails with one line naming the pid; none crashes or prints half a snapshot.
  bool gone = false;
  for (int i = 0; i < 400 && !gone; ++i) {
    const auto r = ts::test::run({ts::test::taskscope_bin(), "gmp", pid, "--json"}, std::chrono::seconds(30));
    INFO(r.err);
    REQUIRE((r.status == 0 || r.status == 1));
    if (r.status == 1) {
      CHECK(r.out.empty());
      CHECK(ts::test::lines(r.err).size() == 1);
      CHECK(r.err.find("taskscope: no process with pid " + pid) == 0);
      gone = true;
    } else {
      CHECK(json::parse(ts::test::lines(r.out).front())["pid"] == fx.pid());
    }
  }
  CHECK(gone);
}
