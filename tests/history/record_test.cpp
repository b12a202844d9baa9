// record_test.cpp: `taskscope record` over a scripted scenario (clone_zoo's forks, thread, execs
// and exits; a goro program with known waiting Gs), replayed sample by sample; and a recorder
// killed with SIGKILL at random moments, whose every file replays up to its last sample.
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <linux/sched.h>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "../support/support.h"
#include "bpf/bpf_common.h"
#include "goro/reader.h"
#include "gort/go_reader.h"
#include "history/goro_codec.h"
#include "history/reader.h"
#include "history/replay.h"
#include "history_frames.h"
#include "model/error.h"

using namespace ts;
using namespace ts::history;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Recorder is `taskscope record` running as a child.
struct Recorder {
  pid_t pid = -1;
  explicit Recorder(const std::vector<std::string>& args) {
    std::vector<std::string> argv{test::taskscope_bin(), "record"};
    argv.insert(argv.end(), args.begin(), args.end());
    const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    pid = test::spawn(argv, null, null, null);
    close(null);
  }
  // stop() sends `sig` and returns the exit status (128+signal when killed).
  int stop(int sig) {
    kill(pid, sig);
    int st = 0;
    waitpid(pid, &st, 0);
    pid = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  ~Recorder() {
    if (pid > 0) stop(SIGKILL);
  }
};

// query() is one integer from the recording (-1 when it cannot be read yet).
int64_t query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t v = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return v;
}

// wait_for() polls `sql` until it gives at least `want` (30 s at most: a loaded CI machine).
bool wait_for(const std::string& path, const std::string& sql, int64_t want) {
  for (int i = 0; i < 300; ++i) {
    if (query(path, sql) >= want) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// GoroTarget is goro_gmp_target running with `k` Gs parked in each way, and its facts.
struct GoroTarget {
  test::Fixture fx;
  json facts;
  int32_t pid;
  size_t k;
  explicit GoroTarget(int n)
      : fx("goro_gmp_target", {std::to_string(n)}), facts(json::parse(fx.facts())), pid(facts["pid"]), k(facts["k"]) {}
};

// waiting() is how many Gs of `g` wait for `why`: recorded counts (a replayed sample keeps only
// some Gs) or, for a live read, counted.
size_t waiting(const GoroSnapshot& g, WaitReason why) {
  size_t n = 0;
  for (const GCount& c : count_gs(g)) n += c.state == GState::Waiting && c.wait_reason == why ? c.n : 0;
  return n;
}

// longest_waiting() is the goids of the Gs top's G/M/P pane lists: the kKeptWaitingGs longest
// waiting (ties in slot order), sorted.
std::vector<uint64_t> longest_waiting(const GoroSnapshot& g) {
  std::vector<const GoroG*> w;
  for (const GoroG& x : g.gs)
    if (x.state == GState::Waiting) w.push_back(&x);
  std::stable_sort(w.begin(), w.end(), [](const GoroG* a, const GoroG* b) { return a->wait_ns > b->wait_ns; });
  std::vector<uint64_t> out;
  for (size_t i = 0; i < w.size() && i < kKeptWaitingGs; ++i) out.push_back(w[i]->goid);
  std::sort(out.begin(), out.end());
  return out;
}

// kept_waiting() is the goids of the waiting Gs a replayed sample kept, sorted.
std::vector<uint64_t> kept_waiting(const GoroSnapshot& g) {
  std::vector<uint64_t> out;
  for (const GoroG& x : g.gs)
    if (x.state == GState::Waiting) out.push_back(x.goid);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("record a scripted scenario and replay each event, task and G count", "[history][record][bpf]") {
  const bpf::Support s = bpf::probe_support();
  TS_BPF_GATE(s.usable, s.why);
  test::TempDir dir;
  const std::string path = dir.file("scenario.db");
  const GoroTarget gor(3);
  const json& gf = gor.facts;
  const int32_t gpid = gor.pid;
  const size_t k = gor.k;
  Recorder rec({"-d", "0.2", "--threads", "-o", path});
  REQUIRE(wait_for(path, "SELECT count(*) FROM sample", 2));

  test::Fixture zoo("clone_zoo");
  const json zf = json::parse(zoo.facts());
  const int32_t zpid = zf["pid"];
  // The zoo starts once a sample shows it: every event of its script then lies in a later sample.
  REQUIRE(wait_for(path, "SELECT count(*) FROM sample", query(path, "SELECT count(*) FROM sample") + 2));
  const int64_t before_go = query(path, "SELECT max(id) FROM sample");
  zoo.send("go\n");
  REQUIRE(wait_for(path, "SELECT count(*) FROM event WHERE kind='exec' AND argv LIKE '%zoo-thread-exec%'", 1));
  REQUIRE(wait_for(path, "SELECT count(*) FROM sample", query(path, "SELECT count(*) FROM sample") + 2));
  REQUIRE(zoo.stop() == 0);
  REQUIRE(wait_for(path, "SELECT count(*) FROM event WHERE kind='exit' AND group_dead=1 AND pid=" + std::to_string(zpid), 1));
  REQUIRE(wait_for(path, "SELECT count(*) FROM sample", query(path, "SELECT count(*) FROM sample") + 2));
  REQUIRE(rec.stop(SIGTERM) == 0);

  const Reader r(path);
  std::vector<std::pair<int64_t, Event>> events;  // sample id, event
  int64_t zoo_first = 0, zoo_last = 0;
  bool zoo_dying_seen = false;
  for (auto ref = std::optional<SampleRef>(r.first()); ref; ref = r.after(ref->id)) {
    const auto f = replay_frame(r, *ref);
    INFO("sample " << ref->id);
    // The goro program lives through the whole recording, its Gs parked as its facts say.
    REQUIRE(f->snap.find(gpid));
    REQUIRE(f->goro.count(gpid));
    const GoroSnapshot& g = f->goro.at(gpid);
    CHECK(waiting(g, WaitReason::ChanRecv) == k);
    CHECK(waiting(g, WaitReason::Sleep) == k);
    CHECK(waiting(g, WaitReason::Mutex) == k);
    CHECK(g.find_g(gf["chan_receive"][0].get<uint64_t>()));
    // The zoo is in one unbroken run of samples, and the first sample after it shows it dying.
    if (f->snap.find(zpid)) {
      CHECK((zoo_first == 0 || zoo_last == ref->id - 1));
      if (!zoo_first) zoo_first = ref->id;
      zoo_last = ref->id;
    } else if (zoo_last && zoo_last == ref->id - 1) {
      for (const Process& p : f->dying) zoo_dying_seen |= p.pid == zpid;
    }
    for (Event& e : f->events) events.emplace_back(ref->id, std::move(e));
  }
  CHECK(zoo_first > 0);
  CHECK(zoo_first <= before_go);
  CHECK(zoo_dying_seen);

  int forks = 0, threads = 0, vfork_exec = 0, thread_exec = 0, exit42 = 0, killed = 0, zoo_exit = 0;
  for (const auto& [sample, ev] : events) {
    if (const auto* c = std::get_if<CloneEvent>(&ev); c && c->parent_pid == zpid) {
      CHECK(sample > before_go);
      ++((c->flags & CLONE_THREAD) ? threads : forks);
    } else if (const auto* e = std::get_if<ExecEvent>(&ev)) {
      if (e->argv.size() == 2 && e->argv[1] == "zoo-vfork-exec") {
        ++vfork_exec;
        CHECK(sample > before_go);
      }
      if (e->argv.size() == 2 && e->argv[1] == "zoo-thread-exec") {
        ++thread_exec;
        CHECK(e->old_tid != e->tid);
        CHECK(e->filename == "/bin/true");
      }
    } else if (const auto* x = std::get_if<ExitEvent>(&ev)) {
      if (x->group_dead && x->status() == 42 && x->signal() == 0) ++exit42;
      if (x->group_dead && x->signal() == SIGTERM) ++killed;
      if (x->pid == zpid && x->group_dead) {
        ++zoo_exit;
        CHECK(sample >= zoo_last);
      }
    }
  }
  CHECK(forks == (zf["newuts"].get<bool>() ? 5 : 4));
  CHECK(threads == 1);
  CHECK(vfork_exec == 1);
  CHECK(thread_exec == 1);
  CHECK(exit42 == 1);
  CHECK(killed == 1);
  CHECK(zoo_exit == 1);
}

TEST_CASE("record keeps a goro program's G counts and its longest-waiting Gs, not every G", "[history][record][goro]") {
  test::TempDir dir;
  const std::string path = dir.file("goro.db");
  // 3k parked Gs and main in a system call: more Gs waiting than a sample keeps.
  const GoroTarget gor(10);
  Recorder rec({"-d", "0.2", "-o", path});
  REQUIRE(wait_for(path, "SELECT count(*) FROM goro WHERE pid=" + std::to_string(gor.pid), 4));
  REQUIRE(rec.stop(SIGTERM) == 0);
  // Every G, read live now: still parked as when recorded, in the same order of waiting.
  const GoroSnapshot live = goro::read_goro(gor.pid);
  REQUIRE(waiting(live, WaitReason::ChanRecv) == gor.k);
  const std::vector<uint64_t> longest = longest_waiting(live);
  REQUIRE(longest.size() == kKeptWaitingGs);
  REQUIRE(live.gs.size() > kKeptWaitingGs + 1);
  CHECK(query(path, "SELECT min(waiting) FROM goro WHERE pid=" + std::to_string(gor.pid)) == static_cast<int64_t>(3 * gor.k));
  CHECK(query(path, "SELECT min(gs) FROM goro WHERE pid=" + std::to_string(gor.pid)) == static_cast<int64_t>(live.gs.size()));

  const Reader r(path);
  int shown = 0;
  for (auto ref = std::optional<SampleRef>(r.first()); ref; ref = r.after(ref->id)) {
    const auto f = replay_frame(r, *ref);
    REQUIRE(f->goro.count(gor.pid));
    ++shown;
    INFO("sample " << ref->id);
    const GoroSnapshot& g = f->goro.at(gor.pid);
    CHECK(count_gs(g) == count_gs(live));  // every G counted, by state and wait reason
    CHECK(g_total(g) == live.gs.size());
    CHECK(waiting(g, WaitReason::ChanRecv) == gor.k);
    CHECK(waiting(g, WaitReason::Sleep) == gor.k);
    CHECK(waiting(g, WaitReason::Mutex) == gor.k);
    CHECK(kept_waiting(g) == longest);  // the ones the pane lists, not every G
    CHECK(g.gs.size() < live.gs.size());
    const GoroG* main = g.find_g(gor.facts["main_goid"].get<uint64_t>());  // in a system call: it holds an M
    REQUIRE(main);
    CHECK(main->state == GState::Syscall);
    const GoroG* first = g.find_g(longest.front());
    REQUIRE(first);
    CHECK(first->wait_ns > 0);
    CHECK(first->function.find("main") != std::string::npos);  // named when recorded
    CHECK(first->sp == 0);  // registers are not stored
  }
  CHECK(shown >= 4);
}

TEST_CASE("a recorder killed at random moments leaves files that replay to their last sample", "[history][record][crash]") {
  test::TempDir dir;
  std::mt19937 rng(static_cast<unsigned>(std::random_device{}()));
  const int kills = 12;
  for (int i = 0; i < kills; ++i) {
    // Each file is recorded twice: the second recorder appends (its first sample a key) to what
    // the killed one left.
    const std::string path = dir.file("k" + std::to_string(i / 2) + ".db");
    const int64_t had = std::max<int64_t>(query(path, "SELECT count(*) FROM sample"), 0);
    Recorder rec({"-d", "0.1", "--threads", "-o", path});
    // Killed at a random moment once it has begun writing (startup time varies with the load).
    REQUIRE(wait_for(path, "SELECT count(*) FROM sample", had + 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 1500));
    const int64_t seen = query(path, "SELECT max(id) FROM sample");
    REQUIRE(rec.stop(SIGKILL) == 128 + SIGKILL);
    INFO("kill " << i << " file " << path);
    const Reader r(path);
    CHECK(r.last().id >= seen);  // nothing committed is lost
    int64_t n = 0;
    for (auto ref = std::optional<SampleRef>(r.first()); ref; ref = r.after(ref->id), ++n) {
      const auto f = replay_frame(r, *ref);
      CHECK(!f->snap.processes.empty());
    }
    CHECK(n == r.count());
    // Each recorder's first sample is a key, the rest deltas (fewer than a key interval here).
    CHECK(query(path, "SELECT count(*) FROM sample WHERE key_id IS NULL") == i % 2 + 1);
    CHECK(query(path, "SELECT count(*) FROM sample WHERE key_id IS NOT NULL") == r.count() - (i % 2 + 1));
    CHECK(query(path, "SELECT count(*) FROM event WHERE sample NOT IN (SELECT id FROM sample)") == 0);
    CHECK(query(path, "SELECT count(*) FROM goro WHERE sample NOT IN (SELECT id FROM sample)") == 0);
  }
}

TEST_CASE("record keeps a Go program's G/M/P beside goro's, and replay shows them", "[history][record][go]") {
  test::TempDir dir;
  const std::string path = dir.file("go.db");
  test::Fixture go("go_gmp_target", {"3", "procs=2"});
  const json gf = json::parse(go.facts());
  const int32_t gpid = gf["pid"];
  const std::string version = gf["go_version"];
  Recorder rec({"-d", "0.2", "-o", path});
  // The first passes find the executable is Go; the ones after read its memory.
  REQUIRE(wait_for(path, "SELECT count(*) FROM goro WHERE pid=" + std::to_string(gpid), 3));
  REQUIRE(rec.stop(SIGTERM) == 0);
  CHECK(query(path, "SELECT count(*) FROM goro WHERE pid=" + std::to_string(gpid) + " AND runtime='" + version + "'") >= 3);
  CHECK(query(path, "SELECT min(gomaxprocs) FROM goro WHERE pid=" + std::to_string(gpid)) == 2);
  const size_t n = gf["chan_receive"].size();
  CHECK(query(path, "SELECT min(waiting) FROM goro WHERE pid=" + std::to_string(gpid)) >= static_cast<int64_t>(4 * n));

  // Every G, read live now: parked as when recorded.
  const GoroSnapshot live = gort::read_go(gpid);
  const std::vector<uint64_t> longest = longest_waiting(live);
  REQUIRE(longest.size() == kKeptWaitingGs);  // 4n user Gs and the runtime's wait: more than kept
  const Reader r(path);
  int shown = 0;
  const GoroSnapshot* last = nullptr;
  std::shared_ptr<view::Frame> last_frame;
  for (auto ref = std::optional<SampleRef>(r.first()); ref; ref = r.after(ref->id)) {
    const auto f = replay_frame(r, *ref);
    if (!f->goro.count(gpid)) continue;
    ++shown;
    INFO("sample " << ref->id);
    const GoroSnapshot& g = f->goro.at(gpid);
    CHECK(g.runtime == version);
    for (WaitReason why : {WaitReason::ChanRecv, WaitReason::Select, WaitReason::Sleep, WaitReason::Mutex})
      CHECK(waiting(g, why) == waiting(live, why));
    for (WaitReason why : {WaitReason::ChanRecv, WaitReason::Select, WaitReason::Sleep})  // a mutex: semacquire before Go 1.20
      CHECK(waiting(g, why) >= n);
    CHECK(g.gs.size() < g_total(g));  // not every G
    CHECK(kept_waiting(g).size() == kKeptWaitingGs);
    last_frame = f, last = &g;
    const GoroG* main = g.find_g(gf["main"].get<uint64_t>());
    REQUIRE(main);
    CHECK(main->state == GState::Syscall);
    CHECK(g.ps.size() == 2);
    REQUIRE(f->runtimes.count(gpid));
    CHECK(f->runtimes.at(gpid) == version.substr(0, version.find('.', version.find('.') + 1)));
  }
  CHECK(shown >= 3);
  REQUIRE(last);
  CHECK(kept_waiting(*last) == longest);  // the ones top's pane lists, as a live read orders them
}
