// collect_runtime.h: which language runtime each process of a snapshot runs (top's RT column):
// goro (it publishes /dev/shm/goro.<pid>) or Go (its executable was built by the Go toolchain, and
// which version), found once per process and executable, not re-read every frame.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/gmp.h"
#include "model/snapshot.h"
#include "view/frame.h"

namespace ts::gort {
class GoProcess;
}

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
  // read_go() reads the G/M/P state of pid, a Go program of the last update()'s snapshot, through a
  // reader kept with that process (pid and start time) from one call to the next: its executable,
  // symbols and DWARF offsets are read once, its memory every call. The reader goes when update()
  // no longer sees the process, or sees another one under the pid (a restart: new offsets). A
  // program that cannot be read (stripped, a renamed runtime field) fails with the same message each
  // call without being opened again. Throws ts::Gone when pid is not a process of the last
  // snapshot or has exited, ts::Error as gort::GoProcess does.
  GoroSnapshot read_go(int32_t pid);
  // go_opens() counts the Go readers made so far (each opens an executable and its DWARF).
  uint64_t go_opens() const { return go_opens_; }
  // go_readers() is how many Go readers are kept now.
  size_t go_readers() const;

  RuntimeCache();
  ~RuntimeCache();
  RuntimeCache(const RuntimeCache&) = delete;
  RuntimeCache& operator=(const RuntimeCache&) = delete;

 private:
  struct Known {
    uint64_t start_ns = 0;
    std::string rt;                       // "" when it is neither Go nor goro
    std::unique_ptr<gort::GoProcess> go;  // read_go()'s reader, made on its first call
    std::string go_error;                 // why the reader could not be made, "" none
  };
  std::unordered_map<int32_t, Known> by_pid_;
  std::map<std::pair<uint64_t, uint64_t>, std::string> by_exe_;  // (dev, ino) -> Go version or ""
  uint64_t exe_reads_ = 0;
  uint64_t go_opens_ = 0;
};

}  // namespace ts::view
