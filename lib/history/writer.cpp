// writer.cpp: one transaction per sample, then retention.
#include "history/writer.h"

#include <sqlite3.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <type_traits>
#include <variant>

#include "history/chain.h"
#include "history/compress.h"
#include "history/sample.h"
#include "history/schema.h"
#include "view/frame.h"

namespace ts::history {

namespace {

// Transaction is BEGIN IMMEDIATE .. COMMIT, rolled back when left by an exception.
class Transaction {
 public:
  explicit Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    db_.exec("COMMIT");
    done_ = true;
  }

 private:
  Db& db_;
  bool done_ = false;
};

std::string argv_json(const std::vector<std::string>& argv) {
  return nlohmann::json(argv).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// put_event() binds one event's columns (those of the other kinds stay NULL) and inserts it.
void put_event(Stmt& st, int64_t sample, uint64_t wall_of_mono, const Event& ev) {
  for (int i = 5; i <= 21; ++i) st.bind_null(i);
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        const uint64_t mono = e.hdr.ts_ns;
        st.bind(1, sample).bind(2, static_cast<int64_t>(mono + wall_of_mono)).bind(3, static_cast<int64_t>(mono));
        st.bind(5, e.hdr.cpu);
        if constexpr (std::is_same_v<T, CloneEvent>) {
          st.bind(4, std::string_view("clone")).bind(6, e.child_pid).bind(7, e.child_tid).bind(8, e.parent_comm);
          st.bind(9, e.parent_pid).bind(10, e.parent_tid).bind(11, static_cast<int64_t>(e.flags)).bind(12, e.exit_signal);
          st.bind(13, int64_t{e.kernel_thread});
        } else if constexpr (std::is_same_v<T, ExecEvent>) {
          st.bind(4, std::string_view("exec")).bind(6, e.pid).bind(7, e.tid).bind(8, e.comm).bind(14, e.old_tid);
          st.bind(15, e.filename).bind(16, argv_json(e.argv)).bind(17, int64_t{e.argv_truncated});
        } else if constexpr (std::is_same_v<T, ExitEvent>) {
          st.bind(4, std::string_view("exit")).bind(6, e.pid).bind(7, e.tid).bind(8, e.comm).bind(18, int64_t{e.group_dead});
          st.bind(19, int64_t{e.raw_code}).bind(20, static_cast<int64_t>(e.lifetime_ns)).bind(21, static_cast<int64_t>(e.cpu_ns));
        } else {
          st.bind(4, std::string_view("switch")).bind(6, e.next_pid).bind(7, e.next_tid).bind(8, e.next_comm);
        }
      },
      ev);
  st.run();
}

}  // namespace

Writer::Writer(const std::string& path, Retention retention, bool durable, int key_every)
    : db_(path, true),
      retention_((create_schema(db_), durable ? void() : db_.exec("PRAGMA synchronous=NORMAL"), retention)),
      key_every_(key_every < 1 ? 1 : key_every),
      put_sample_(db_.prepare("INSERT INTO sample(time_ns, mono_ns, processes, tasks, events, raw_bytes, data, key_id) "
                              "VALUES(?,?,?,?,?,?,?,?)")),
      put_event_(db_.prepare("INSERT INTO event(sample, time_ns, mono_ns, kind, cpu, pid, tid, comm, parent_pid, parent_tid, flags, "
                             "exit_signal, kernel_thread, old_tid, filename, argv, argv_truncated, group_dead, exit_code, "
                             "lifetime_ns, cpu_ns) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")),
      put_goro_(db_.prepare("INSERT INTO goro(sample, pid, runtime, gomaxprocs, gs, runnable, running, syscall, waiting, "
                            "global_runq, local_runq) VALUES(?,?,?,?,?,?,?,?,?,?,?)")) {}

AppendStats Writer::append(const view::Frame& f, bool threads, uint64_t wall_ns) {
  Sample s = from_frame(f, threads, names_);
  const std::vector<Process>& procs = s.snap.processes;
  AppendStats st = store(f, std::move(s), procs, wall_ns);  // procs stays valid: s is moved from at the end
  last_frame_.reset();  // last_ holds its processes
  return st;
}

AppendStats Writer::append(std::shared_ptr<const view::Frame> f, bool threads, uint64_t wall_ns) {
  if (!threads || !in_pid_order(f->snap.processes)) return append(*f, threads, wall_ns);
  AppendStats st = store(*f, frame_head(*f, names_), f->snap.processes, wall_ns);
  last_frame_ = std::move(f);
  return st;
}

AppendStats Writer::store(const view::Frame& f, Sample&& s, const std::vector<Process>& procs, uint64_t wall_ns) {
  const bool key = !last_ || since_key_ + 1 >= key_every_ || last_->threads != s.threads;
  const std::vector<Process>* base = key ? nullptr : last_frame_ ? &last_frame_->snap.processes : &last_->snap.processes;
  const std::string raw = encode(s, procs, base);
  const std::string packed = compress(raw);
  AppendStats st;
  st.key = key;
  st.raw_bytes = raw.size();
  st.stored_bytes = packed.size();
  st.events = f.events.size();
  const uint64_t wall_of_mono = wall_ns - f.taken_ns;  // added to a CLOCK_MONOTONIC time: wall clock

  Transaction tx(db_);
  put_sample_.bind(1, static_cast<int64_t>(wall_ns)).bind(2, static_cast<int64_t>(f.taken_ns));
  put_sample_.bind(3, static_cast<int64_t>(procs.size())).bind(4, static_cast<int64_t>(f.snap.task_count()));
  put_sample_.bind(5, static_cast<int64_t>(f.events.size())).bind(6, static_cast<int64_t>(raw.size()));
  put_sample_.bind_blob(7, packed);
  if (key)
    put_sample_.bind_null(8);
  else
    put_sample_.bind(8, key_id_);
  put_sample_.run();
  st.id = sqlite3_last_insert_rowid(db_.handle());
  for (const Event& e : f.events) put_event(put_event_, st.id, wall_of_mono, e);
  for (const auto& [pid, g] : s.goro) {
    int64_t by[6] = {};
    for (const GCount& c : count_gs(g)) by[static_cast<size_t>(c.state)] += static_cast<int64_t>(c.n);
    int64_t local = 0;
    for (const GoroP& p : g.ps) local += p.runq_len;
    put_goro_.bind(1, st.id).bind(2, pid).bind(3, g.runtime).bind(4, int64_t{g.gomaxprocs});
    put_goro_.bind(5, static_cast<int64_t>(g_total(g))).bind(6, by[static_cast<size_t>(GState::Runnable)]);
    put_goro_.bind(7, by[static_cast<size_t>(GState::Running)]).bind(8, by[static_cast<size_t>(GState::Syscall)]);
    put_goro_.bind(9, by[static_cast<size_t>(GState::Waiting)]).bind(10, static_cast<int64_t>(g.global_runq_len));
    put_goro_.bind(11, local).run();
  }
  tx.commit();
  if (key) key_id_ = st.id, since_key_ = 0;
  else ++since_key_;
  last_ = std::move(s);
  st.dropped = enforce(wall_ns);
  return st;
}

Stmt& Writer::query(const char* sql) {
  auto it = queries_.find(sql);
  if (it == queries_.end()) it = queries_.emplace(sql, db_.prepare(sql)).first;
  it->second.reset();
  return it->second;
}

uint64_t Writer::data_bytes() {
  Stmt& q = query("SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count), "
                       "(SELECT page_size FROM pragma_page_size)");
  return q.step() ? static_cast<uint64_t>(q.i64(0) * q.i64(1)) : 0;
}

uint64_t Writer::drop_before(int64_t keep) {
  Transaction tx(db_);
  for (const char* sql : {"DELETE FROM event WHERE sample < ?", "DELETE FROM goro WHERE sample < ?", "DELETE FROM sample WHERE id < ?"}) {
    Stmt d = db_.prepare(sql);
    d.bind(1, keep).run();
  }
  const auto n = static_cast<uint64_t>(sqlite3_changes(db_.handle()));
  tx.commit();
  return n;
}

void Writer::rekey(int64_t id) {
  const int64_t old_key = key_of(db_, id);
  if (old_key == id) return;
  const std::string raw = encode(load_sample(db_, id, true, nullptr));
  Transaction tx(db_);
  Stmt up = db_.prepare("UPDATE sample SET data = ?, raw_bytes = ?, key_id = NULL WHERE id = ?");
  up.bind_blob(1, compress(raw)).bind(2, static_cast<int64_t>(raw.size())).bind(3, id).run();
  Stmt rest = db_.prepare("UPDATE sample SET key_id = ? WHERE key_id = ? AND id > ?");
  rest.bind(1, id).bind(2, old_key).bind(3, id).run();
  tx.commit();
  if (key_id_ == old_key) key_id_ = id;
}

uint64_t Writer::enforce(uint64_t newest_wall_ns) {
  // Whole chains go, one a transaction (a key interval: a large DELETE would stall the next
  // sample), so no delta outlives its key.
  const auto ids = [&](const char* sql, int64_t arg) -> std::optional<int64_t> {
    Stmt& q = query(sql);
    q.bind(1, arg);
    if (!q.step() || q.is_null(0)) return std::nullopt;
    return q.i64(0);
  };
  uint64_t dropped = 0;
  if (retention_.max_age_ns && newest_wall_ns > retention_.max_age_ns) {
    // A chain goes when its newest sample is older than the limit: up to a key interval more is kept.
    const auto cutoff = static_cast<int64_t>(newest_wall_ns - retention_.max_age_ns);
    for (;;) {
      const auto first = ids("SELECT min(id) FROM sample WHERE id > ?", INT64_MIN);
      const auto next_key = first ? ids("SELECT min(id) FROM sample WHERE id > ? AND key_id IS NULL", *first) : std::nullopt;
      if (!next_key) break;
      const auto newest = ids("SELECT max(time_ns) FROM sample WHERE id < ?", *next_key);
      if (!newest || *newest >= cutoff) break;
      dropped += drop_before(*next_key);
    }
  }
  if (retention_.max_bytes) {
    // Freed pages are reused by later samples (no vacuum): the file stops growing at the limit.
    // The newest sample is always kept. When one chain alone is over the limit, a later sample
    // of it becomes a key, so the older part can go.
    while (data_bytes() > retention_.max_bytes) {
      const auto first = ids("SELECT min(id) FROM sample WHERE id > ?", INT64_MIN);
      const auto last = ids("SELECT max(id) FROM sample WHERE id > ?", INT64_MIN);
      if (!first || *first == *last) break;
      auto next_key = ids("SELECT min(id) FROM sample WHERE id > ? AND key_id IS NULL", *first);
      if (!next_key) {
        next_key = std::min(*last, *first + 16);
        rekey(*next_key);
      }
      dropped += drop_before(*next_key);
    }
  }
  return dropped;
}

}  // namespace ts::history
