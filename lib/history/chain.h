// chain.h: a recorded sample decoded from its rows: the key (a whole sample) it chains from and
// the deltas up to it (history/sample.h). A ChainCache keeps the last sample decoded, so stepping
// forward through a recording decodes one delta a step, and a jump at most a key interval's.
#pragma once
#include <cstdint>

#include "history/db.h"
#include "history/sample.h"

namespace ts::history {

// ChainCache is the last sample load_sample() decoded, and its chain's key.
struct ChainCache {
  bool valid = false;
  int64_t id = 0;
  int64_t key = 0;
  Sample sample;
};

// load_sample() decodes row `id` of recording `db`. `keyed`: the file has key_id (schema 2); else
// every row is whole. `cache` (may be null) is used when it holds an earlier sample of the same
// chain, and then holds `id`. Throws ts::Error naming the file and sample for a missing row, a
// broken chain or a bad blob.
Sample load_sample(const Db& db, int64_t id, bool keyed, ChainCache* cache);

// key_of() is the id of the key sample row `id` chains from (itself for a key); throws for a
// missing row.
int64_t key_of(const Db& db, int64_t id);

}  // namespace ts::history
