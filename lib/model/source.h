// source.h: Source, anything that can produce a Snapshot (/proc, BPF).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/fields.h"
#include "model/snapshot.h"

namespace ts {

// Request says what a snapshot must hold.
struct Request {
  Fields fields = kAllFields;      // what to fill; Field::Ids is always filled
  std::vector<int32_t> pids;       // only these thread groups; empty means all
  bool kernel_threads = true;      // include kernel threads
  bool argv_once = false;          // a repeating reader's command lines: read when a process is first
                                   // seen (and after an exec), then kept (a later setproctitle is missed)
};

// Source produces Snapshots. Implementations must drop quietly any task that exits
// during the pass, and must never throw for a vanished pid.
class Source {
 public:
  virtual ~Source() = default;
  // name() is "proc" or "bpf".
  virtual std::string name() const = 0;
  // snapshot() takes one pass over the tasks the request names. Throws ts::Error only
  // when the source as a whole fails (e.g. /proc not mounted, the BPF program died).
  virtual Snapshot snapshot(const Request& req) = 0;
};

}  // namespace ts
