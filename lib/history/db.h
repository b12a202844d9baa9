// db.h: Db and Stmt, a thin RAII layer over SQLite (libsqlite3): open, prepared statements,
// bound values, one-line errors that name the file.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace ts::history {

class Db;

// Stmt is one prepared statement of a Db (which must outlive it).
class Stmt {
 public:
  Stmt(const Db& db, sqlite3_stmt* s) : db_(&db), s_(s) {}
  ~Stmt();
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // bind() sets parameter `i` (1-based); a string or blob is copied.
  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, std::string_view text);
  Stmt& bind_blob(int i, std::string_view bytes);
  Stmt& bind_null(int i);
  // step() runs one step: true when a row is ready, false when done; throws ts::Error on failure.
  bool step();
  // run() steps to the end and resets, for statements that return no rows.
  void run();
  // reset() makes the statement ready to run again (bindings kept).
  void reset();
  // i64(), text(), blob() read column `c` of the current row (0-based); text/blob borrow until the
  // next step().
  int64_t i64(int c) const;
  std::string_view text(int c) const;
  std::string_view blob(int c) const;
  // is_null() tells whether column `c` is NULL.
  bool is_null(int c) const;

 private:
  const Db* db_;
  sqlite3_stmt* s_;
};

// Db is an open SQLite database.
class Db {
 public:
  // Db() opens `path`: read-write, created when missing (`write`), or read-only. `path` is named in
  // every error. Throws ts::Error when it cannot be opened.
  Db(const std::string& path, bool write);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // exec() runs SQL statements that return nothing (or whose rows are ignored).
  void exec(const char* sql);
  // prepare() compiles one statement.
  Stmt prepare(std::string_view sql) const;
  // fail() throws ts::Error "<path>: <what>: <sqlite's message>", saying "not a taskscope recording"
  // when SQLite says the file is not a database.
  [[noreturn]] void fail(const std::string& what, int rc) const;
  // path() is the file.
  const std::string& path() const { return path_; }
  // handle() is SQLite's handle, for what this layer does not wrap.
  sqlite3* handle() const { return db_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace ts::history
