// iter_pin_test.cpp: the task iterator kept between runs in bpffs: reused by the next reader,
// replaced when what is pinned is stale or foreign, and loaded as before where it cannot be pinned.
#include <bpf/bpf.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "../support/support.h"
#include "bpf/bpf_common.h"
#include "bpf/task_iter_reader.h"
#include "bpf/task_walk_reader.h"
#include "model/error.h"

using namespace ts;
using bpf::TaskIterReader;
namespace fs = std::filesystem;

namespace {

// PinDir mounts a bpffs of this test's own (a fresh instance: /sys/fs/bpf is left alone, and the
// test runs where none is mounted) and points TASKSCOPE_BPF_PIN_DIR at a directory in it for its
// lifetime; unmounted after. `why` says why it could not mount (mounting needs CAP_SYS_ADMIN).
struct PinDir {
  std::string mnt, path, why;
  PinDir() {
    mnt = fs::temp_directory_path() / ("taskscope-bpffs-" + std::to_string(getpid()));
    fs::create_directories(mnt);
    if (mount("bpf", mnt.c_str(), "bpf", 0, "mode=0700") != 0) {
      why = std::string("cannot mount a bpffs of the test's own: ") + std::strerror(errno);
      return;
    }
    path = mnt + "/taskscope";
    setenv("TASKSCOPE_BPF_PIN_DIR", path.c_str(), 1);
  }
  ~PinDir() {
    unsetenv("TASKSCOPE_BPF_PIN_DIR");
    if (why.empty()) umount2(mnt.c_str(), MNT_DETACH);
    rmdir(mnt.c_str());
  }
};

uint32_t prog_id(int fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0;
}

// key_dir() is the one iterator directory under `root` (empty when there is none or several).
std::string key_dir(const std::string& root) {
  std::string found;
  for (const auto& e : fs::directory_iterator(root)) {
    const std::string n = e.path().filename();
    if (n.rfind("task_iter-", 0) != 0) continue;
    if (!found.empty()) return "";
    found = e.path();
  }
  return found;
}

// sees_self() tells whether a pass of `r` returned this process's own leader.
bool sees_self(TaskIterReader& r) {
  const auto recs = r.read_all();
  return std::any_of(recs.begin(), recs.end(), [](const task_rec* t) { return t->pid == getpid(); });
}

// self() is this process's leader record among `recs` (null when absent).
const task_rec* self(std::span<const task_rec* const> recs) {
  const auto it = std::find_if(recs.begin(), recs.end(), [](const task_rec* t) { return t->pid == getpid(); });
  return it == recs.end() ? nullptr : *it;
}

// PIN_GATE() gates a test on BPF and on a bpffs of its own (`dir`).
#define PIN_GATE(dir)                                   \
  do {                                                  \
    const bpf::Support sup = bpf::probe_support();      \
    TS_BPF_GATE(sup.usable, sup.why);                   \
    TS_BPF_GATE((dir).why.empty(), (dir).why);          \
  } while (0)

}  // namespace

TEST_CASE("the task iterator is pinned once and reused by later readers", "[bpf][pin]") {
  PinDir dir;
  PIN_GATE(dir);
  TaskIterReader first;
  REQUIRE(first.pin_use() == TaskIterReader::PinUse::Pinned);
  CHECK_FALSE(first.pin_was_stale());
  const std::string key = key_dir(dir.path);
  REQUIRE_FALSE(key.empty());
  CHECK((fs::status(key).permissions() & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);

  TaskIterReader second;
  CHECK(second.pin_use() == TaskIterReader::PinUse::Reused);
  CHECK(prog_id(second.prog_fd()) == prog_id(first.prog_fd()));  // the very program, not a copy
  CHECK(second.kernel_argv() == first.kernel_argv());
  CHECK(second.exact_rss() == first.exact_rss());
  CHECK(sees_self(second));
  CHECK(sees_self(first));
  // Another variant (TASKSCOPE_TASK_ITER) is another key: it never gets the pinned argv program.
  setenv("TASKSCOPE_TASK_ITER", "plain", 1);
  TaskIterReader plain;
  unsetenv("TASKSCOPE_TASK_ITER");
  CHECK(plain.pin_use() == TaskIterReader::PinUse::Pinned);
  CHECK_FALSE(plain.kernel_argv());
  CHECK(prog_id(plain.prog_fd()) != prog_id(first.prog_fd()));
}

TEST_CASE("a stale or foreign pin is detected and replaced", "[bpf][pin]") {
  PinDir dir;
  PIN_GATE(dir);
  std::string key;
  {
    TaskIterReader first;
    REQUIRE(first.pin_use() == TaskIterReader::PinUse::Pinned);
    key = key_dir(dir.path);
    REQUIRE_FALSE(key.empty());
  }
  std::string prog_pin;
  for (const auto& e : fs::directory_iterator(key))
    if (e.path().filename().string().rfind("prog-", 0) == 0) prog_pin = e.path();
  REQUIRE_FALSE(prog_pin.empty());

  SECTION("a foreign program under the program's name") {
    const bpf_insn ret0[] = {{BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0}, {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
    const int other = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "dump_task_argv", "GPL", ret0, 2, nullptr);
    REQUIRE(other >= 0);
    REQUIRE(unlink(prog_pin.c_str()) == 0);
    REQUIRE(bpf_obj_pin(other, prog_pin.c_str()) == 0);
    close(other);
  }
  SECTION("a link to another load of the program") {
    setenv("TASKSCOPE_BPF_PIN_DIR", "off", 1);
    TaskIterReader unpinned;
    setenv("TASKSCOPE_BPF_PIN_DIR", dir.path.c_str(), 1);
    REQUIRE(unpinned.pin_use() == TaskIterReader::PinUse::Loaded);
    const int link = bpf_link_create(unpinned.prog_fd(), 0, BPF_TRACE_ITER, nullptr);
    REQUIRE(link >= 0);
    REQUIRE(unlink((key + "/link").c_str()) == 0);
    REQUIRE(bpf_obj_pin(link, (key + "/link").c_str()) == 0);
    close(link);
  }
  SECTION("a half-made directory: the link is missing") {
    REQUIRE(unlink((key + "/link").c_str()) == 0);
  }
  SECTION("a directory others may enter") {
    REQUIRE(chmod(key.c_str(), 0755) == 0);
  }
  // A pin of another build of the object goes when a new one is pinned.
  const std::string other_build = dir.path + "/task_iter-0123456789abcdef-btf1-ns0";
  REQUIRE(mkdir(other_build.c_str(), 0700) == 0);
  // So does the private directory of a run that died before renaming it.
  const std::string dead_tmp = dir.path + "/tmp-2147483647-task_iter-0123456789abcdef-btf1-ns0";
  REQUIRE(mkdir(dead_tmp.c_str(), 0700) == 0);

  TaskIterReader next;
  CHECK(next.pin_was_stale());
  CHECK(next.pin_use() == TaskIterReader::PinUse::Pinned);
  CHECK(sees_self(next));
  CHECK_FALSE(fs::exists(other_build));
  CHECK_FALSE(fs::exists(dead_tmp));
  TaskIterReader after;
  CHECK(after.pin_use() == TaskIterReader::PinUse::Reused);
  CHECK(prog_id(after.prog_fd()) == prog_id(next.prog_fd()));
}

TEST_CASE("without bpffs the task iterator is loaded as before", "[bpf][pin]") {
  const bpf::Support sup = bpf::probe_support();
  TS_BPF_GATE(sup.usable, sup.why);
  const std::string tmp = fs::temp_directory_path() / ("taskscope-pin-" + std::to_string(getpid()));
  {
    setenv("TASKSCOPE_BPF_PIN_DIR", tmp.c_str(), 1);  // not a bpffs: nothing is pinned, nothing is made there
    TaskIterReader r;
    unsetenv("TASKSCOPE_BPF_PIN_DIR");
    CHECK(r.pin_use() == TaskIterReader::PinUse::Loaded);
    CHECK(r.pin_why().find("not a bpffs mount") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp));
    CHECK(sees_self(r));
  }
  {
    setenv("TASKSCOPE_BPF_PIN_DIR", "off", 1);
    TaskIterReader r;
    unsetenv("TASKSCOPE_BPF_PIN_DIR");
    CHECK(r.pin_use() == TaskIterReader::PinUse::Loaded);
    CHECK(r.pin_why() == "TASKSCOPE_BPF_PIN_DIR=off");
    CHECK(sees_self(r));
  }
}

TEST_CASE("the open-coded walk is pinned once and shared, each reader keeping its own records", "[bpf][pin][walk]") {
  PinDir dir;
  PIN_GATE(dir);
  std::unique_ptr<bpf::TaskWalkReader> first;
  try {
    first = std::make_unique<bpf::TaskWalkReader>();
  } catch (const Error& e) {
    TS_BPF_GATE(false, std::string("no open-coded walk (Linux 6.7+): ") + e.what());
  }
  REQUIRE(first->pin_use() == bpf::TaskReader::PinUse::Pinned);
  TaskIterReader iter;  // the iterator's pin lives beside the walk's: neither removes the other
  REQUIRE(iter.pin_use() == TaskIterReader::PinUse::Pinned);
  std::string walk_dir;
  for (const auto& e : fs::directory_iterator(dir.path))
    if (e.path().filename().string().rfind("task_walk-", 0) == 0) walk_dir = e.path();
  REQUIRE_FALSE(walk_dir.empty());
  CHECK_FALSE(key_dir(dir.path).empty());

  bpf::TaskWalkReader second;
  CHECK(second.pin_use() == bpf::TaskReader::PinUse::Reused);
  CHECK(prog_id(second.prog_fd()) == prog_id(first->prog_fd()));
  CHECK(second.exact_rss() == first->exact_rss());
  // The first reader's records stay its own after the second runs the shared program.
  const auto mine = first->read_all(bpf::kWantMm);
  const auto theirs = second.read_all(0);
  REQUIRE(self(mine) != nullptr);
  REQUIRE(self(theirs) != nullptr);
  CHECK((self(mine)->have & TASK_REC_HAVE_MM) != 0);
  CHECK((self(theirs)->have & TASK_REC_HAVE_MM) == 0);

  // A foreign program under the walk's name is found out and replaced.
  first.reset();
  std::string prog_pin;
  for (const auto& e : fs::directory_iterator(walk_dir))
    if (e.path().filename().string().rfind("prog-", 0) == 0) prog_pin = e.path();
  REQUIRE_FALSE(prog_pin.empty());
  const bpf_insn ret0[] = {{BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0}, {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
  const int other = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "walk_tasks", "GPL", ret0, 2, nullptr);
  REQUIRE(other >= 0);
  REQUIRE(unlink(prog_pin.c_str()) == 0);
  REQUIRE(bpf_obj_pin(other, prog_pin.c_str()) == 0);
  close(other);
  bpf::TaskWalkReader next;
  CHECK(next.pin_was_stale());
  CHECK(next.pin_use() == bpf::TaskReader::PinUse::Pinned);
  CHECK(self(next.read_all()) != nullptr);
}

TEST_CASE("one-shot walk readers share maps left in the program's slots, never a repeating reader's", "[bpf][pin][walk]") {
  PinDir dir;
  PIN_GATE(dir);
  // Nothing pinned yet: a one-shot reader does not load the walk (seconds of verification).
  try {
    bpf::TaskWalkReader none(bpf::WalkMaps::Shared, true);
    FAIL("a one-shot walk reader loaded an unpinned walk");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("not pinned yet") != std::string::npos);
  }
  std::unique_ptr<bpf::TaskWalkReader> own;
  try {
    own = std::make_unique<bpf::TaskWalkReader>();
  } catch (const Error& e) {
    TS_BPF_GATE(false, std::string("no open-coded walk (Linux 6.7+): ") + e.what());
  }
  REQUIRE(own->pin_use() == bpf::TaskReader::PinUse::Pinned);

  // The first one-shot read makes the shared maps (two slot updates); the next one finds them.
  bpf::TaskWalkReader a(bpf::WalkMaps::Shared, true);
  CHECK(a.pin_use() == bpf::TaskReader::PinUse::Reused);
  const auto mine = a.read_all(bpf::kWantAll);
  CHECK(a.slot_updates() == 2);
  bpf::TaskWalkReader b(bpf::WalkMaps::Shared, true);
  const auto theirs = b.read_all(0);
  CHECK(b.slot_updates() == 0);
  // a's records and argv were copied out before b's run wrote the shared maps again.
  REQUIRE(self(mine) != nullptr);
  REQUIRE(self(theirs) != nullptr);
  CHECK((self(mine)->have & TASK_REC_HAVE_MM) != 0);
  CHECK((self(theirs)->have & TASK_REC_HAVE_MM) == 0);
  std::ifstream f("/proc/self/cmdline");
  const std::string cmdline((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  CHECK(std::string(bpf::record_argv(*self(mine), a.tail(*self(mine)))) == cmdline);

  // A repeating reader's own maps in the slots are never written by a one-shot reader.
  const auto kept = own->read_all(bpf::kWantMm);
  REQUIRE(self(kept) != nullptr);
  bpf::TaskWalkReader c(bpf::WalkMaps::Shared, true);
  REQUIRE(self(c.read_all(0)) != nullptr);
  CHECK(c.slot_updates() == 2);
  CHECK((self(kept)->have & TASK_REC_HAVE_MM) != 0);
}
