// chain.cpp: a key and its deltas, read in one query, each row checked to belong to the chain.
#include "history/chain.h"

#include "history/compress.h"
#include "model/error.h"

namespace ts::history {

namespace {

std::string name(const Db& db, int64_t id) { return db.path() + ": sample " + std::to_string(id); }

}  // namespace

int64_t key_of(const Db& db, int64_t id) {
  Stmt q = db.prepare("SELECT key_id FROM sample WHERE id = ?");
  q.bind(1, id);
  if (!q.step()) throw Error(name(db, id) + ": no such sample");
  if (q.is_null(0)) return id;
  const int64_t key = q.i64(0);
  if (key >= id) throw Error(name(db, id) + ": its key sample " + std::to_string(key) + " is not before it");
  return key;
}

Sample load_sample(const Db& db, int64_t id, bool keyed, ChainCache* cache) {
  if (!keyed) {
    Stmt q = db.prepare("SELECT data FROM sample WHERE id = ?");
    q.bind(1, id);
    if (!q.step()) throw Error(name(db, id) + ": no such sample");
    return decode(decompress(q.blob(0), name(db, id)), name(db, id));
  }
  const int64_t key = key_of(db, id);
  Sample s;
  bool have = false;
  int64_t from = key;
  if (cache && cache->valid && cache->key == key && cache->id <= id) {
    if (cache->id == id) return cache->sample;
    s = cache->sample;
    have = true;
    from = cache->id + 1;
  }
  Stmt q = db.prepare("SELECT id, key_id, data FROM sample WHERE id >= ? AND id <= ? ORDER BY id");
  q.bind(1, from).bind(2, id);
  int64_t last = from - 1;
  while (q.step()) {
    const int64_t rid = q.i64(0);
    const std::string what = name(db, rid);
    const std::string raw = decompress(q.blob(2), what);
    if (!have) {
      if (rid != key || !q.is_null(1)) throw Error(name(db, id) + ": its key sample " + std::to_string(key) + " is missing");
      s = decode(raw, what);
      have = true;
    } else {
      if (q.is_null(1) || q.i64(1) != key)
        throw Error(name(db, id) + ": its chain from key sample " + std::to_string(key) + " is broken at sample " + std::to_string(rid));
      s = decode_delta(raw, what, std::move(s));
    }
    last = rid;
  }
  if (!have || last != id) throw Error(name(db, id) + ": its chain from key sample " + std::to_string(key) + " is incomplete");
  if (cache) {
    cache->valid = false;
    cache->sample = s;
    cache->id = id;
    cache->key = key;
    cache->valid = true;
  }
  return s;
}

}  // namespace ts::history
