// task_iter_reader_test.cpp: the iterator stream's framing (records followed by argv), and the
// argv the sleepable program reads in the kernel against /proc/PID/cmdline.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "../support/support.h"
#include "proc_peek.h"
#include "bpf/bpf_common.h"
#include "bpf/bpf_source.h"
#include "bpf/task_iter_reader.h"
#include "bpf/task_walk_reader.h"
#include "model/error.h"
#include "sources/make_source.h"

using namespace ts;

namespace {

// Stream builds an iterator stream by hand, 8-aligned as the reader's buffer is.
struct Stream {
  std::vector<uint64_t> words;
  size_t bytes = 0;

  void add(int32_t pid, const std::string& argv, uint32_t claimed_len) {
    task_rec r{};
    r.pid = r.tgid = pid;
    r.tail_len = claimed_len;
    r.have = TASK_REC_HAVE_ARGV;
    const size_t tail = (argv.size() + 7) & ~size_t{7};
    words.resize((bytes + sizeof r + tail) / 8);
    char* at = reinterpret_cast<char*>(words.data()) + bytes;
    std::memcpy(at, &r, sizeof r);
    std::memcpy(at + sizeof r, argv.data(), argv.size());
    bytes += sizeof r + tail;
  }
  const char* data() const { return reinterpret_cast<const char*>(words.data()); }
};

}  // namespace

TEST_CASE("parse_records walks records and their padded argv, and refuses torn streams", "[bpf][task_record]") {
  static_assert(sizeof(task_rec) % 8 == 0, "records must keep the stream 8-aligned");
  Stream s;
  s.add(10, std::string("ab\0cd\0", 6), 6);
  s.add(11, "", 0);
  s.add(12, std::string("123456789\0", 10), 10);
  std::vector<const task_rec*> recs;
  bpf::parse_records(s.data(), s.bytes, recs);
  REQUIRE(recs.size() == 3);
  CHECK(recs[0]->pid == 10);
  CHECK(bpf::record_argv(*recs[0], bpf::stream_tail(*recs[0])) == std::string_view("ab\0cd\0", 6));
  CHECK(recs[1]->pid == 11);
  CHECK(bpf::record_argv(*recs[1], bpf::stream_tail(*recs[1])).empty());
  CHECK(recs[2]->pid == 12);
  CHECK(bpf::record_argv(*recs[2], bpf::stream_tail(*recs[2])) == std::string_view("123456789\0", 10));

  CHECK_THROWS_AS(bpf::parse_records(s.data(), s.bytes - 8, recs), Error);  // last argv cut short
  CHECK_THROWS_AS(bpf::parse_records(s.data(), sizeof(task_rec) - 8, recs), Error);  // torn record
  Stream lying;
  lying.add(13, "x", TASK_ITER_ARGV_MAX + 8);  // claims more than the kernel may write
  lying.words.resize(lying.words.size() + (TASK_ITER_ARGV_MAX + 8) / 8);
  CHECK_THROWS_AS(bpf::parse_records(lying.data(), lying.words.size() * 8, recs), Error);
  bpf::parse_records(s.data(), 0, recs);
  CHECK(recs.empty());
}

TEST_CASE("the kernel reads a process's argv as /proc/PID/cmdline has it, bounded at 4 KiB", "[bpf][bpf_source]") {
  const bpf::Support sup = bpf::probe_support();
  TS_BPF_GATE(sup.usable, sup.why);
  // Both snapshot programs: the open-coded walk (its second phase) and the sleepable iterator.
  const bool walk = GENERATE(true, false);
  INFO((walk ? "walk" : "iter"));
  std::unique_ptr<bpf::TaskReader> reader;
  std::string why;
  try {
    if (walk) reader = std::make_unique<bpf::TaskWalkReader>();
    else reader = std::make_unique<bpf::TaskIterReader>();
  } catch (const Error& e) {
    why = e.what();
  }
  TS_BPF_GATE(reader != nullptr, why);
  TS_BPF_GATE(reader->kernel_argv(), "the sleepable iter.s/task program was refused: " + reader->argv_refused());

  const std::string spaced = "two words";
  const std::string longer(TASK_ITER_ARGV_MAX + 500, 'x');  // past the kernel's bound
  test::Fixture small("bpf_quiet_threads", {"1", spaced, ""});
  test::Fixture big("bpf_quiet_threads", {"1", longer});
  const auto small_pid = nlohmann::json::parse(small.facts()).at("pid").get<int32_t>();
  const auto big_pid = nlohmann::json::parse(big.facts()).at("pid").get<int32_t>();

  const task_rec* r = test::leader_of(reader->read_group(small_pid), small_pid);
  REQUIRE(r != nullptr);
  CHECK((r->have & TASK_REC_HAVE_ARGV) != 0);
  CHECK((r->have & TASK_REC_ARGV_PARTIAL) == 0);
  CHECK(bpf::record_argv(*r, reader->tail(*r)) == test::proc_cmdline(small_pid));  // NULs, the empty argument and all

  r = test::leader_of(reader->read_group(big_pid), big_pid);
  REQUIRE(r != nullptr);
  CHECK((r->have & TASK_REC_ARGV_PARTIAL) != 0);
  CHECK(r->tail_len == TASK_ITER_ARGV_MAX);
  CHECK(bpf::record_argv(*r, reader->tail(*r)) == test::proc_cmdline(big_pid).substr(0, TASK_ITER_ARGV_MAX));

  // Threads share the leader's argv: only the leader's record carries it.
  for (const task_rec* t : reader->read_group(small_pid))
    if (t->pid != small_pid) CHECK(t->tail_len == 0);

  // The source joins arguments with spaces, and leaves the whole of a long one to /proc...
  setenv("TASKSCOPE_BPF_WALK", walk ? "on" : "off", 1);
  bpf::BpfSource src;
  unsetenv("TASKSCOPE_BPF_WALK");
  CHECK(std::string(src.reader().name()) == (walk ? "walk" : "iter"));
  Request req;
  req.pids = {small_pid, big_pid};
  req.fields = static_cast<Fields>(Field::Cmdline);
  const Snapshot raw = src.snapshot(req);
  REQUIRE(raw.find(small_pid) != nullptr);
  REQUIRE(raw.find(big_pid) != nullptr);
  CHECK(raw.find(small_pid)->cmdline == test::fixture_path("bpf_quiet_threads") + " 1 " + spaced);
  CHECK(raw.find(big_pid)->cmdline.empty());
  CHECK(src.cmdline_wanted() == std::vector<int32_t>{big_pid});
  // ...which the source lib/sources makes of it asks.
  const Snapshot s = make_source(SourceKind::Bpf)->snapshot(req);
  REQUIRE(s.find(small_pid) != nullptr);
  REQUIRE(s.find(big_pid) != nullptr);
  CHECK(s.find(small_pid)->cmdline == test::fixture_path("bpf_quiet_threads") + " 1 " + spaced);
  CHECK(s.find(big_pid)->cmdline == test::fixture_path("bpf_quiet_threads") + " 1 " + longer);
}
