// writer.cpp: one transaction per sample, then retention.
#include "history/writer.h"

#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <type_traits>
#include <variant>

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

Writer::Writer(const std::string& path, Retention retention, bool durable)
    : db_(path, true),
      retention_((create_schema(db_), durable ? void() : db_.exec("PRAGMA synchronous=NORMAL"), retention)),
      put_sample_(db_.prepare("INSERT INTO sample(time_ns, mono_ns, processes, tasks, events, raw_bytes, data) VALUES(?,?,?,?,?,?,?)")),
      put_event_(db_.prepare("INSERT INTO event(sample, time_ns, mono_ns, kind, cpu, pid, tid, comm, parent_pid, parent_tid, flags, "
                             "exit_signal, kernel_thread, old_tid, filename, argv, argv_truncated, group_dead, exit_code, "
                             "lifetime_ns, cpu_ns) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")),
      put_goro_(db_.prepare("INSERT INTO goro(sample, pid, runtime, gomaxprocs, gs, runnable, running, syscall, waiting, "
                            "global_runq, local_runq) VALUES(?,?,?,?,?,?,?,?,?,?,?)")) {}

AppendStats Writer::append(const view::Frame& f, bool threads, uint64_t wall_ns) {
  const Sample s = from_frame(f, threads);
  const std::string raw = encode(s);
  const std::string packed = compress(raw);
  AppendStats st;
  st.raw_bytes = raw.size();
  st.stored_bytes = packed.size();
  st.events = f.events.size();
  const uint64_t wall_of_mono = wall_ns - f.taken_ns;  // added to a CLOCK_MONOTONIC time: wall clock

  Transaction tx(db_);
  put_sample_.bind(1, static_cast<int64_t>(wall_ns)).bind(2, static_cast<int64_t>(f.taken_ns));
  put_sample_.bind(3, static_cast<int64_t>(s.snap.processes.size())).bind(4, static_cast<int64_t>(f.snap.task_count()));
  put_sample_.bind(5, static_cast<int64_t>(f.events.size())).bind(6, static_cast<int64_t>(raw.size()));
  put_sample_.bind_blob(7, packed).run();
  st.id = sqlite3_last_insert_rowid(db_.handle());
  for (const Event& e : f.events) put_event(put_event_, st.id, wall_of_mono, e);
  for (const auto& [pid, g] : f.goro) {
    int64_t by[6] = {};
    for (const GoroG& x : g.gs) ++by[static_cast<size_t>(x.state)];
    int64_t local = 0;
    for (const GoroP& p : g.ps) local += p.runq_len;
    put_goro_.bind(1, st.id).bind(2, pid).bind(3, g.runtime).bind(4, int64_t{g.gomaxprocs});
    put_goro_.bind(5, static_cast<int64_t>(g.gs.size())).bind(6, by[static_cast<size_t>(GState::Runnable)]);
    put_goro_.bind(7, by[static_cast<size_t>(GState::Running)]).bind(8, by[static_cast<size_t>(GState::Syscall)]);
    put_goro_.bind(9, by[static_cast<size_t>(GState::Waiting)]).bind(10, static_cast<int64_t>(g.global_runq_len));
    put_goro_.bind(11, local).run();
  }
  tx.commit();
  st.dropped = enforce(wall_ns);
  return st;
}

uint64_t Writer::data_bytes() {
  Stmt q = db_.prepare("SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count), "
                       "(SELECT page_size FROM pragma_page_size)");
  return q.step() ? static_cast<uint64_t>(q.i64(0) * q.i64(1)) : 0;
}

uint64_t Writer::enforce(uint64_t newest_wall_ns) {
  uint64_t dropped = 0;
  // Small steps, each its own transaction: a large DELETE would stall the next sample.
  constexpr int kBatch = 16;
  const auto drop_oldest = [&](int64_t upto_id) {
    Transaction tx(db_);
    for (const char* sql : {"DELETE FROM event WHERE sample <= ?", "DELETE FROM goro WHERE sample <= ?", "DELETE FROM sample WHERE id <= ?"}) {
      Stmt d = db_.prepare(sql);
      d.bind(1, upto_id).run();
    }
    dropped += static_cast<uint64_t>(sqlite3_changes(db_.handle()));
    tx.commit();
  };
  if (retention_.max_age_ns && newest_wall_ns > retention_.max_age_ns) {
    for (;;) {
      Stmt q = db_.prepare("SELECT max(id) FROM (SELECT id FROM sample WHERE time_ns < ? ORDER BY id LIMIT ?)");
      q.bind(1, static_cast<int64_t>(newest_wall_ns - retention_.max_age_ns)).bind(2, int64_t{kBatch});
      if (!q.step() || q.is_null(0)) break;
      const int64_t upto = q.i64(0);
      q.reset();
      drop_oldest(upto);
    }
  }
  if (retention_.max_bytes) {
    // Freed pages are reused by later samples (no vacuum): the file stops growing at the limit.
    // The newest sample is always kept.
    while (data_bytes() > retention_.max_bytes) {
      Stmt q = db_.prepare("SELECT max(id) FROM (SELECT id FROM sample WHERE id < (SELECT max(id) FROM sample) ORDER BY id LIMIT ?)");
      q.bind(1, int64_t{kBatch});
      if (!q.step() || q.is_null(0)) break;
      const int64_t upto = q.i64(0);
      q.reset();
      drop_oldest(upto);
    }
  }
  return dropped;
}

}  // namespace ts::history
