// reader.cpp: queries over a recording, each row checked before use.
#include "history/reader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "history/compress.h"
#include "history/schema.h"
#include "model/error.h"

namespace ts::history {

namespace {

// opened() opens `path` read-only once it is known to be a readable regular file (SQLite would
// otherwise create nothing but say little).
const std::string& opened(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw Error(path + ": cannot open: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw Error(path + ": not a taskscope recording (not a regular file)");
  if (st.st_size == 0) throw Error(path + ": empty file: not a taskscope recording (or the recorder died before its first sample)");
  return path;
}

}  // namespace

Reader::Reader(const std::string& path) : db_(opened(path), false) {
  keyed_ = check_recording(db_) >= 2;
  if (count() == 0) throw Error(path + ": the recording holds no sample yet");
}

std::optional<SampleRef> Reader::one(const char* sql, int64_t arg) const {
  Stmt q = db_.prepare(sql);
  q.bind(1, arg);
  if (!q.step() || q.is_null(0)) return std::nullopt;
  return SampleRef{q.i64(0), static_cast<uint64_t>(q.i64(1)), static_cast<uint64_t>(q.i64(2))};
}

SampleRef Reader::first() const {
  if (auto r = one("SELECT id, time_ns, mono_ns FROM sample WHERE id > ? ORDER BY id LIMIT 1", INT64_MIN)) return *r;
  throw Error(path() + ": the recording holds no sample");
}

SampleRef Reader::last() const {
  if (auto r = one("SELECT id, time_ns, mono_ns FROM sample WHERE id > ? ORDER BY id DESC LIMIT 1", INT64_MIN)) return *r;
  throw Error(path() + ": the recording holds no sample");
}

SampleRef Reader::at(uint64_t wall_ns) const {
  if (auto r = one("SELECT id, time_ns, mono_ns FROM sample WHERE time_ns <= ? ORDER BY time_ns DESC, id DESC LIMIT 1",
                   static_cast<int64_t>(wall_ns)))
    return *r;
  return first();
}

std::optional<SampleRef> Reader::before(int64_t id) const {
  return one("SELECT id, time_ns, mono_ns FROM sample WHERE id < ? ORDER BY id DESC LIMIT 1", id);
}

std::optional<SampleRef> Reader::after(int64_t id) const {
  return one("SELECT id, time_ns, mono_ns FROM sample WHERE id > ? ORDER BY id LIMIT 1", id);
}

int64_t Reader::count() const {
  Stmt q = db_.prepare("SELECT count(*) FROM sample");
  return q.step() ? q.i64(0) : 0;
}

Sample Reader::load(int64_t id) const { return load_sample(db_, id, keyed_, &cache_); }

std::vector<Event> Reader::events(int64_t id) const {
  Stmt q = db_.prepare(
      "SELECT kind, mono_ns, cpu, pid, tid, comm, parent_pid, parent_tid, flags, exit_signal, kernel_thread, old_tid, "
      "filename, argv, argv_truncated, group_dead, exit_code, lifetime_ns, cpu_ns FROM event WHERE sample = ? ORDER BY rowid");
  q.bind(1, id);
  std::vector<Event> out;
  const auto i32 = [&](int c) { return static_cast<int32_t>(q.i64(c)); };
  const auto u64 = [&](int c) { return static_cast<uint64_t>(q.i64(c)); };
  while (q.step()) {
    const std::string_view kind = q.text(0);
    const EventHeader hdr{u64(1), i32(2)};
    if (kind == "clone") {
      CloneEvent e;
      e.hdr = hdr;
      e.child_pid = i32(3), e.child_tid = i32(4), e.parent_comm = q.text(5);
      e.parent_pid = i32(6), e.parent_tid = i32(7), e.flags = u64(8), e.exit_signal = i32(9), e.kernel_thread = q.i64(10) != 0;
      out.emplace_back(std::move(e));
    } else if (kind == "exec") {
      ExecEvent e;
      e.hdr = hdr;
      e.pid = i32(3), e.tid = i32(4), e.comm = q.text(5), e.old_tid = i32(11), e.filename = q.text(12);
      e.argv_truncated = q.i64(14) != 0;
      const nlohmann::json argv = nlohmann::json::parse(q.text(13), nullptr, false);
      if (argv.is_array())
        for (const auto& a : argv)
          if (a.is_string()) e.argv.push_back(a.get<std::string>());
      out.emplace_back(std::move(e));
    } else if (kind == "exit") {
      ExitEvent e;
      e.hdr = hdr;
      e.pid = i32(3), e.tid = i32(4), e.comm = q.text(5), e.group_dead = q.i64(15) != 0;
      e.raw_code = static_cast<uint32_t>(q.i64(16)), e.lifetime_ns = u64(17), e.cpu_ns = u64(18);
      out.emplace_back(std::move(e));
    }
    // Other kinds (a later version's) are skipped.
  }
  return out;
}

}  // namespace ts::history
