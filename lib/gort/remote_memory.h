// remote_memory.h: reading a live process's memory from outside, without stopping it.
#pragma once
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ts::gort {

// RemoteMemory reads pid's memory with process_vm_readv (no ptrace stop: the target keeps running,
// so everything read is racy and untrusted). Every address is first checked against the readable
// mappings /proc/PID/maps lists, so a wild pointer read from the target is refused before the
// kernel is asked. The maps are read when it is made and again when an address lies outside every
// known mapping (at most once per kRefreshNs): a reader kept for seconds still reads memory the
// target mapped after it was made (a Go heap arena). Needs ptrace access to pid (root or
// CAP_SYS_PTRACE). Not thread-safe.
class RemoteMemory {
 public:
  // RemoteMemory() reads pid's maps. Throws ts::Gone when pid does not exist, ts::Error when its
  // maps cannot be read (permission).
  explicit RemoteMemory(int32_t pid);

  // kRefreshNs is the least time between two re-reads of the maps that a miss triggers.
  static constexpr uint64_t kRefreshNs = 5'000'000;

  // pid() is the process read.
  int32_t pid() const { return pid_; }
  // readable() tells whether [addr, addr+len) lies in readable mappings (len > 0, no overflow).
  // A range outside every known mapping re-reads the maps first when the last read is older than
  // kRefreshNs.
  bool readable(uint64_t addr, uint64_t len) const;
  // refresh() re-reads pid's maps now; false (the known mappings kept) when they cannot be read.
  bool refresh() const;
  // refreshes() is how many times the maps were read (for the tests).
  uint64_t refreshes() const { return refreshes_; }
  // read() copies len bytes at addr into out; false when the range is not readable or the read
  // came back short. Throws ts::Gone when the process has exited, ts::Error when access is denied.
  bool read(uint64_t addr, void* out, size_t len) const;
  // value() reads one trivially copyable T at addr; nullopt as read() returns false.
  template <class T>
  std::optional<T> value(uint64_t addr) const {
    T v{};
    if (!read(addr, &v, sizeof v)) return std::nullopt;
    return v;
  }
  // RecordVisitor gets each record's index in addrs and its bytes (valid during the call), or
  // nullptr for a record that could not be read.
  using RecordVisitor = std::function<void(size_t index, const uint8_t* bytes)>;
  // read_records() reads `len` bytes at each of addrs (any order) and calls visit once per record,
  // in address order. Records that lie close together (Go allocates its Gs side by side) are read
  // as one range, so the kernel walks each page once, and through one bounded buffer reused batch
  // after batch, so a 100k-record read neither allocates nor faults in 40 MB. A range that comes
  // back short (unmapped meanwhile) is read record by record. Throws as read().
  void read_records(const std::vector<uint64_t>& addrs, size_t len, const RecordVisitor& visit) const;
  // reads() is how many process_vm_readv calls were made (for the bench and the tests).
  uint64_t reads() const { return reads_; }

 private:
  // Range is one readable mapping [lo, hi).
  struct Range {
    uint64_t lo, hi;
  };
  ssize_t readv(const iovec* local, const iovec* remote, size_t n) const;
  // known() tells whether the known mappings hold [addr, addr+len).
  bool known(uint64_t addr, uint64_t len) const;
  // load() reads the maps into ranges_; the read's errno, 0 when it succeeded.
  int load() const;

  int32_t pid_;
  mutable std::vector<Range> ranges_;  // sorted, adjacent readable mappings merged
  mutable uint64_t loaded_ns_ = 0;     // when ranges_ was read (sys::monotonic_ns)
  mutable uint64_t refreshes_ = 0;
  mutable uint64_t reads_ = 0;
};

}  // namespace ts::gort
