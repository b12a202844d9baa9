// collect_runtime.h: which language runtime each process of a snapshot runs (top's RT column):
// goro (it publishes /dev/shm/goro.<pid>) or Go (its executable was built by the Go toolchain, and
// which version), found once per process and executable, not re-read every frame.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/snapshot.h"
#include "view/frame.h"

namespace ts::view {

// is_go_runtime() tells whether a Runtimes value names Go ("go", "go1.19").
bool is_go_runtime(const std::string& rt);

// go_short_version() is "go1.19" for "go1.19.8" (major.minor, as the RT column shows it), the
// version itself when it has no patch level, "go" when it is empty.
std::string go_short_version(const std::string& version);

// RuntimeCache remembers each process's runtime by pid and start time (a reused pid is looked at
// again) and each executable's by device and inode, so a frame costs one stat() per new process
// and one ELF read per new executable. Not thread-safe: the collector's thread uses it.
class RuntimeCache {
 public:
  // update() returns the runtime of every process of `snap`: goro for the pids of `with_segment`
  // (sorted: the /dev/shm listing collect_goro already does), else Go when its executable is.
  // Kernel threads are skipped. Reading executables stops once `budget_ns` is spent (those left
  // are read in a later frame; pass 0 to read none this time), so a first frame stays fast.
  Runtimes update(const Snapshot& snap, const std::vector<int32_t>& with_segment, uint64_t budget_ns);
  // exe_reads() counts the executables read so far (tests check that nothing is re-read).
  uint64_t exe_reads() const { return exe_reads_; }

 private:
  struct Known {
    uint64_t start_ns = 0;
    std::string rt;  // "" when it is neither Go nor goro
  };
  std::unordered_map<int32_t, Known> by_pid_;
  std::map<std::pair<uint64_t, uint64_t>, std::string> by_exe_;  // (dev, ino) -> Go version or ""
  uint64_t exe_reads_ = 0;
};

}  // namespace ts::view
