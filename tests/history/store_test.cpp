// store_test.cpp: a recording written by Writer and read by Reader: samples by time, events as
// rows, replayed Frames with rates, retention by age and size, and damaged, truncated or foreign
// files, which give a one-line ts::Error naming the file, never a crash.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

#include "history/compress.h"
#include "history/reader.h"
#include "history/replay.h"
#include "history/time_spec.h"
#include "history/writer.h"
#include "history_frames.h"
#include "model/error.h"

using namespace ts;
using namespace ts::history;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kWall0 = 1'790'000'000'000'000'000ull;  // the first sample's wall clock

// write_frames() records frames 1..n, one a second from kWall0, a key every `key_every`.
void write_frames(const std::string& path, uint64_t n, Retention r = {}, int key_every = Writer::kKeyEvery) {
  Writer w(path, r, true, key_every);
  for (uint64_t i = 1; i <= n; ++i) w.append(test::recorded_frame(i), true, kWall0 + (i - 1) * 1'000'000'000);
}

int64_t scalar(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
  const int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

}  // namespace

TEST_CASE("a recording replays each sample, its events and its rates", "[history]") {
  test::TempDir dir;
  const std::string path = dir.file("r.db");
  write_frames(path, 5);
  const Reader r(path);
  CHECK(r.count() == 5);
  CHECK(r.first().wall_ns == kWall0);
  CHECK(r.at(kWall0 + 2'500'000'000).id == 3);
  CHECK(r.at(0).id == 1);
  CHECK(r.before(3)->id == 2);
  CHECK(!r.after(5));

  const auto f = replay_frame(r, r.at(kWall0 + 3'000'000'000));
  CHECK(f->seq == 4);
  CHECK(f->interval_s == Approx(1.0));
  // srv-worker's utime grows 20 ms a second: 2% of a CPU.
  REQUIRE(f->rates.count(101));
  CHECK(f->rates.at(101).cpu_pct == Approx(2.0));
  CHECK(f->rates.at(101).nvcsw_ps == Approx(5.0));
  CHECK(f->process_rates.at(100).cpu_pct == Approx(3.0));
  REQUIRE(f->events.size() == 3);
  const auto* c = std::get_if<CloneEvent>(&f->events[0]);
  REQUIRE(c);
  CHECK(c->child_pid == 204);
  CHECK(c->flags == 0x11);
  const auto* e = std::get_if<ExecEvent>(&f->events[1]);
  REQUIRE(e);
  CHECK(e->argv == std::vector<std::string>{"true", "x4"});
  const auto* x = std::get_if<ExitEvent>(&f->events[2]);
  REQUIRE(x);
  CHECK(x->status() == 42);
  CHECK(x->lifetime_ns == 5000);
  CHECK(f->clones_ps == Approx(1.0));
  CHECK(f->goro.at(100).gs.size() == 4);

  // The first sample has no rates; process 200 appears in the second.
  const auto f1 = replay_frame(r, r.first());
  CHECK(f1->interval_s == 0);
  CHECK(!f1->snap.find(200));
  CHECK(replay_frame(r, *r.after(1))->snap.find(200));

  // The rows are there for sqlite3 users.
  CHECK(scalar(path, "SELECT count(*) FROM event WHERE kind='exit' AND exit_code=42*256") == 5);
  CHECK(scalar(path, "SELECT waiting FROM goro WHERE sample=3 AND pid=100") == 3);
  CHECK(scalar(path, "SELECT local_runq FROM goro WHERE sample=5") == 5);
}

TEST_CASE("a recording is appended to, and its times are found by --at", "[history]") {
  test::TempDir dir;
  const std::string path = dir.file("r.db");
  write_frames(path, 3);
  {
    Writer w(path, {});
    w.append(test::recorded_frame(4), true, kWall0 + 10'000'000'000);
  }
  const Reader r(path);
  CHECK(r.count() == 4);
  const uint64_t first = r.first().wall_ns, last = r.last().wall_ns;
  CHECK(r.at(parse_time("end", first, last)).id == 4);
  CHECK(r.at(parse_time("-8s", first, last)).id == 3);
  CHECK(r.at(parse_time("+1s", first, last)).id == 2);
  CHECK(r.at(parse_time("@" + std::to_string(kWall0 / 1'000'000'000 + 1), first, last)).id == 2);
  CHECK(parse_time("2026-01-02 03:04:05", first, last) == 1767323045ull * 1'000'000'000);
  CHECK(parse_time("2026-01-02T03:04", first, last) == 1767323040ull * 1'000'000'000);
  CHECK(format_time(1767323045ull * 1'000'000'000) == "2026-01-02 03:04:05 UTC");
  CHECK_THROWS_AS(parse_time("3pm", first, last), Error);
  CHECK_THROWS_AS(parse_time("25:00", first, last), Error);
}

TEST_CASE("retention drops the oldest samples and their rows", "[history]") {
  test::TempDir dir;
  SECTION("by age") {
    const std::string path = dir.file("age.db");
    write_frames(path, 20, parse_retention("5s"), 4);
    const Reader r(path);
    // Samples 15..20 are within 5 s of the newest; whole chains go (keys 1, 5, 9, 13, 17), so
    // 13 and 14 stay with their chain.
    CHECK(r.count() == 8);
    CHECK(r.first().id == 13);
    CHECK(scalar(path, "SELECT min(sample) FROM event") == 13);
    CHECK(scalar(path, "SELECT min(sample) FROM goro") == 13);
    for (int64_t id = 13; id <= 20; ++id) CHECK(r.load(id).snap.taken_ns == static_cast<uint64_t>(id) * 1'000'000'000);
  }
  SECTION("by size") {
    const std::string path = dir.file("size.db");
    // Samples with a 200 KB command line that compresses badly: 10 make 2 MB.
    Retention lim = parse_retention("1M");
    Writer w(path, lim);
    std::mt19937_64 rng(1);
    for (uint64_t i = 1; i <= 12; ++i) {
      view::Frame f = test::recorded_frame(i);
      f.snap.processes[0].cmdline.resize(200'000);
      for (char& ch : f.snap.processes[0].cmdline) ch = static_cast<char>('a' + rng() % 26);
      w.append(f, true, kWall0 + i * 1'000'000'000);
      CHECK(w.data_bytes() <= lim.max_bytes);
    }
    const Reader r(path);
    CHECK(r.last().id == 12);
    CHECK(r.count() < 8);
    // One chain alone was over the limit: a later sample became its key, and every one left reads.
    CHECK(scalar(path, "SELECT count(*) FROM sample WHERE key_id IS NULL AND id > 1") >= 1);
    for (auto ref = std::optional<SampleRef>(r.first()); ref; ref = r.after(ref->id))
      CHECK(r.load(ref->id).snap.processes[0].cmdline.size() == 200'000);
  }
  CHECK_THROWS_WITH(parse_retention("7x"), Catch::Contains("--retain 7x: expected a duration"));
  CHECK(parse_retention("2G").max_bytes == 2ull << 30);
  CHECK(parse_retention("7d").max_age_ns == 7ull * 86400 * 1'000'000'000);
}

TEST_CASE("foreign and empty files give one line naming the file", "[history]") {
  test::TempDir dir;
  const auto msg = [](const std::string& p) {
    try {
      Reader r(p);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string text = dir.file("text");
  std::ofstream(text) << "hello, not a database\n";
  CHECK(msg(text) == text + ": not a taskscope recording (SQLite: file is not a database)");
  const std::string empty = dir.file("empty");
  std::ofstream{empty};
  CHECK(msg(empty).rfind(empty + ": empty file", 0) == 0);
  CHECK(msg(dir.file("none")) == dir.file("none") + ": cannot open: No such file or directory");
  CHECK(msg(dir.path.string()) == dir.path.string() + ": not a taskscope recording (not a regular file)");
  const std::string other = dir.file("other.db");
  {
    Db db(other, true);
    db.exec("CREATE TABLE t(x)");
  }
  CHECK(msg(other) == other + ": not a taskscope recording (an SQLite file without its meta table)");
  const std::string nosample = dir.file("nosample.db");
  { Writer w(nosample, {}); }
  CHECK(msg(nosample) == nosample + ": the recording holds no sample yet");
}

TEST_CASE("damaged and truncated recordings give ts::Error, never a crash", "[history][fuzz]") {
  test::TempDir dir;
  const std::string good = dir.file("good.db");
  write_frames(good, 12);  // closing the writer checkpoints the WAL into the file
  REQUIRE(!fs::exists(good + "-wal"));
  std::ifstream in(good, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  REQUIRE(bytes.size() > 8192);
  std::mt19937_64 rng(14);
  int errors = 0, whole = 0;
  const int rounds = 300;
  for (int round = 0; round < rounds; ++round) {
    std::string bad = bytes;
    switch (round % 3) {
      case 0: bad.resize(rng() % bad.size()); break;
      case 1:
        for (int k = 0; k < 1 + static_cast<int>(rng() % 16); ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
        break;
      default: {  // a run of garbage somewhere past the header page
        const size_t at = 100 + rng() % (bad.size() - 200);
        for (size_t k = at; k < std::min(bad.size(), at + 64 + rng() % 4096); ++k) bad[k] = static_cast<char>(rng());
      }
    }
    const std::string path = dir.file("bad" + std::to_string(round) + ".db");
    std::ofstream(path, std::ios::binary) << bad;
    try {
      const Reader r(path);
      for (auto ref = std::optional<SampleRef>(r.first()); ref; ref = r.after(ref->id)) (void)replay_frame(r, *ref);
      ++whole;
    } catch (const Error& e) {
      ++errors;
      const std::string m = e.what();
      if (m.rfind(path + ": ", 0) != 0 || m.find('\n') != std::string::npos) FAIL("message: " << m);
    }
    fs::remove(path);
    fs::remove(path + "-wal");
    fs::remove(path + "-shm");
  }
  INFO("whole " << whole << ", errors " << errors);
  CHECK(errors > rounds / 3);
}

TEST_CASE("keys and deltas replay exactly what whole samples do, in any order of reads", "[history][delta]") {
  test::TempDir dir;
  const std::string keyed = dir.file("keyed.db"), whole = dir.file("whole.db");
  write_frames(keyed, 130);
  write_frames(whole, 130, {}, 1);
  CHECK(scalar(keyed, "SELECT count(*) FROM sample WHERE key_id IS NULL") == 3);  // 1, 61, 121
  CHECK(scalar(whole, "SELECT count(*) FROM sample WHERE key_id IS NOT NULL") == 0);
  CHECK(scalar(keyed, "SELECT sum(length(data)) FROM sample") < scalar(whole, "SELECT sum(length(data)) FROM sample"));
  const Reader a(keyed), b(whole);
  std::mt19937_64 rng(7);
  std::vector<int64_t> ids;
  for (int64_t id = 1; id <= 130; ++id) ids.push_back(id);  // forwards (the cache), then at random
  for (int k = 0; k < 200; ++k) ids.push_back(1 + static_cast<int64_t>(rng() % 130));
  for (int64_t id : ids) {
    INFO("sample " << id);
    CHECK(encode(a.load(id)) == encode(b.load(id)));
  }
}

TEST_CASE("a writer given shared frames stores what it stores from copies, across keys and kinds", "[history][delta]") {
  // The recorder hands the writer its frames shared, and the writer keeps the last one as the next
  // delta's base instead of a copy of its tasks; a frame whose processes are out of order (one read
  // twice) and a sample without --threads go the copying way. Both must store the same blobs.
  test::TempDir dir;
  const std::string copied = dir.file("copied.db"), shared = dir.file("shared.db");
  {
    Writer a(copied, {}, false, 4), b(shared, {}, false, 4);
    for (uint64_t i = 1; i <= 14; ++i) {
      view::Frame f = test::recorded_frame(i);
      if (i == 6) f.snap.processes.push_back(f.snap.processes.front());  // pid 1 twice: out of order
      const bool threads = i != 9 && i != 10;                            // a kind change makes keys
      const uint64_t wall = kWall0 + (i - 1) * 1'000'000'000;
      const AppendStats sa = a.append(f, threads, wall);
      const AppendStats sb = b.append(std::make_shared<const view::Frame>(std::move(f)), threads, wall);
      INFO("frame " << i);
      CHECK(sa.key == sb.key);
      CHECK(sa.raw_bytes == sb.raw_bytes);
    }
  }
  CHECK(scalar(shared, "SELECT count(*) FROM sample WHERE key_id IS NOT NULL") > 5);  // deltas were written
  const Reader ra(copied), rb(shared);
  for (int64_t id = 1; id <= 14; ++id) {
    INFO("sample " << id);
    CHECK(encode(ra.load(id)) == encode(rb.load(id)));
  }
}

TEST_CASE("a schema-1 recording (every sample whole) is read, and appended to as schema 2", "[history][delta]") {
  test::TempDir dir;
  const std::string path = dir.file("old.db");
  {  // Without G/M/P: there versions 1 and 3 differ (sample_test reads a version-2 one).
    Writer w(path, {}, true, 1);
    for (uint64_t i = 1; i <= 3; ++i) {
      view::Frame f = test::recorded_frame(i);
      f.goro.clear();
      w.append(f, true, kWall0 + (i - 1) * 1'000'000'000);
    }
  }
  {  // Make it what taskscope wrote before keys: no key_id column, version-1 blobs.
    Db db(path, true);
    Stmt q = db.prepare("SELECT id, data FROM sample");
    std::vector<std::pair<int64_t, std::string>> rows;
    while (q.step()) {
      const std::string raw = decompress(q.blob(1), "t");
      rows.emplace_back(q.i64(0), compress("\x01" + raw.substr(2)));
    }
    for (const auto& [id, data] : rows) {
      Stmt u = db.prepare("UPDATE sample SET data = ? WHERE id = ?");
      u.bind_blob(1, data).bind(2, id).run();
    }
    db.exec("ALTER TABLE sample DROP COLUMN key_id; UPDATE meta SET value='1' WHERE key='schema'");
  }
  CHECK(Reader(path).load(2).snap.taken_ns == 2'000'000'000);
  {
    Writer w(path, {});
    for (uint64_t i = 4; i <= 6; ++i) w.append(test::recorded_frame(i), true, kWall0 + (i - 1) * 1'000'000'000);
  }
  CHECK(scalar(path, "SELECT value FROM meta WHERE key='schema'") == 2);
  const Reader r(path);
  for (int64_t id = 1; id <= 6; ++id) CHECK(r.load(id).snap.taken_ns == static_cast<uint64_t>(id) * 1'000'000'000);
  CHECK(scalar(path, "SELECT count(*) FROM sample WHERE key_id IS NOT NULL") == 2);  // 5 and 6 chain from 4

  // A newer schema is refused, naming both versions.
  { Db db(path, true); db.exec("UPDATE meta SET value='3' WHERE key='schema'"); }
  CHECK_THROWS_WITH(Reader(path), path + ": recording schema 3 (this taskscope reads 1 to 2; a newer taskscope made it)");
}
