// db.cpp: SQLite calls and their errors.
#include "history/db.h"

#include <sqlite3.h>

#include "model/error.h"
#include "sys/text.h"

namespace ts::history {

Stmt::~Stmt() { sqlite3_finalize(s_); }

Stmt& Stmt::bind(int i, int64_t v) {
  if (const int rc = sqlite3_bind_int64(s_, i, v); rc != SQLITE_OK) db_->fail("bind", rc);
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view text) {
  if (const int rc = sqlite3_bind_text64(s_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8); rc != SQLITE_OK)
    db_->fail("bind", rc);
  return *this;
}

Stmt& Stmt::bind_blob(int i, std::string_view bytes) {
  if (const int rc = sqlite3_bind_blob64(s_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT); rc != SQLITE_OK)
    db_->fail("bind", rc);
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  if (const int rc = sqlite3_bind_null(s_, i); rc != SQLITE_OK) db_->fail("bind", rc);
  return *this;
}

bool Stmt::step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(s_);
  db_->fail(std::string("running \"") + sqlite3_sql(s_) + "\"", rc);
}

void Stmt::run() {
  while (step()) {
  }
  reset();
}

void Stmt::reset() { sqlite3_reset(s_); }

int64_t Stmt::i64(int c) const { return sqlite3_column_int64(s_, c); }

std::string_view Stmt::text(int c) const {
  const auto* p = sqlite3_column_text(s_, c);
  const int n = sqlite3_column_bytes(s_, c);
  return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string_view();
}

std::string_view Stmt::blob(int c) const {
  const void* p = sqlite3_column_blob(s_, c);
  const int n = sqlite3_column_bytes(s_, c);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string_view();
}

bool Stmt::is_null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }

Db::Db(const std::string& path, bool write) : path_(path) {
  const int flags = write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(path + ": cannot open: " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 2000);
}

Db::~Db() { sqlite3_close(db_); }

void Db::exec(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    sqlite3_free(err);  // sqlite3_errmsg() says the same
    fail(std::string("running \"") + sql + "\"", rc);
  }
}

Stmt Db::prepare(std::string_view sql) const {
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) fail("preparing \"" + std::string(sql) + "\"", rc);
  return Stmt(*this, s);
}

void Db::fail(const std::string& what, int rc) const {
  // SQLite quotes the file's own bytes (a damaged schema's text): one line, escaped.
  const std::string msg = sys::printable(db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_NOTADB: throw Error(path_ + ": not a taskscope recording (SQLite: " + msg + ")");
    case SQLITE_CORRUPT: throw Error(path_ + ": damaged recording (SQLite: " + msg + ") while " + what);
    default: throw Error(path_ + ": " + msg + " (" + what + ")");
  }
}

}  // namespace ts::history
