// remote_memory.cpp: process_vm_readv behind a check against the target's readable mappings.
#include "gort/remote_memory.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>

#include "model/error.h"
#include "procfs/maps_parse.h"
#include "procfs/maps_read_file.h"
#include "sys/clock.h"

namespace ts::gort {

RemoteMemory::RemoteMemory(int32_t pid) : pid_(pid) {
  const int err = load();
  if (is_gone_errno(err)) throw Gone("no process with pid " + std::to_string(pid));
  if (err)
    throw Error("cannot read /proc/" + std::to_string(pid) + "/maps: " + std::strerror(err) +
                " (reading another process's memory needs root or CAP_SYS_PTRACE)");
  if (ranges_.empty()) throw Gone("no process with pid " + std::to_string(pid) + " (no memory mapped: it exited?)");
}

int RemoteMemory::load() const {
  const FileRead f = read_proc_file("/proc/" + std::to_string(pid_) + "/maps");
  loaded_ns_ = sys::monotonic_ns();
  ++refreshes_;
  if (!f.ok()) return f.error;
  std::vector<Range> ranges;
  for (const MemorySegment& m : parse_maps(f.text)) {
    if (m.perms.empty() || m.perms[0] != 'r' || m.end <= m.start) continue;
    if (!ranges.empty() && ranges.back().hi == m.start) ranges.back().hi = m.end;
    else ranges.push_back({m.start, m.end});
  }
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
  if (!ranges.empty()) ranges_ = std::move(ranges);  // an exited process's empty maps: keep the known
  return 0;
}

bool RemoteMemory::refresh() const { return load() == 0; }

bool RemoteMemory::readable(uint64_t addr, uint64_t len) const {
  if (len == 0 || addr + len < addr) return false;
  if (known(addr, len)) return true;
  if (sys::monotonic_ns() - loaded_ns_ < kRefreshNs || !refresh()) return false;
  return known(addr, len);
}

bool RemoteMemory::known(uint64_t addr, uint64_t len) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), addr, [](uint64_t a, const Range& r) { return a < r.lo; });
  if (it == ranges_.begin()) return false;
  --it;
  return addr >= it->lo && addr + len <= it->hi;
}

ssize_t RemoteMemory::readv(const iovec* local, const iovec* remote, size_t n) const {
  ++reads_;
  const ssize_t got = process_vm_readv(pid_, local, n, remote, n, 0);
  if (got < 0) {
    if (errno == ESRCH) throw Gone("no process with pid " + std::to_string(pid_) + " (it exited while being read)");
    if (errno == EPERM)
      throw Error("cannot read the memory of pid " + std::to_string(pid_) + ": permission denied (needs root or CAP_SYS_PTRACE)");
  }
  return got;
}

bool RemoteMemory::read(uint64_t addr, void* out, size_t len) const {
  if (!readable(addr, len)) return false;
  iovec l{out, len}, r{reinterpret_cast<void*>(addr), len};
  return readv(&l, &r, 1) == static_cast<ssize_t>(len);
}

void RemoteMemory::read_records(const std::vector<uint64_t>& addrs, size_t len, const RecordVisitor& visit) const {
  constexpr size_t kBuffer = 1 << 20;  // bytes per batch
  constexpr uint64_t kGap = 512;       // records at most this far apart share a range
  if (len == 0 || len > kBuffer) {
    for (size_t i = 0; i < addrs.size(); ++i) visit(i, nullptr);
    return;
  }
  std::vector<size_t> order(addrs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return addrs[a] < addrs[b]; });
  // Span is one range read: [lo, hi) of the target, records order[first, last) inside it.
  struct Span {
    uint64_t lo, hi;
    size_t first, last;
  };
  const auto buffer = std::make_unique_for_overwrite<uint8_t[]>(kBuffer);
  std::vector<uint8_t> one(len);
  std::vector<Span> spans;
  std::vector<iovec> l, r;
  size_t next = 0;
  while (next < order.size()) {
    // Gather ranges until the buffer or IOV_MAX is full. A record that is not readable on its own
    // is visited as unreadable; ranges never join across an unreadable gap (readable() per range).
    spans.clear();
    size_t used = 0;
    while (next < order.size() && spans.size() < IOV_MAX) {
      const uint64_t a = addrs[order[next]];
      if (!readable(a, len)) {
        if (spans.empty()) visit(order[next++], nullptr);
        else break;  // keep address order: visit it after this batch's records
        continue;
      }
      if (!spans.empty() && a <= spans.back().hi + kGap && known(spans.back().lo, a + len - spans.back().lo) &&
          used + (std::max(spans.back().hi, a + len) - spans.back().hi) <= kBuffer) {
        used += std::max(spans.back().hi, a + len) - spans.back().hi;
        spans.back().hi = std::max(spans.back().hi, a + len);
        spans.back().last = ++next;
        continue;
      }
      if (used + len > kBuffer) break;
      spans.push_back({a, a + len, next, next + 1});
      used += len;
      ++next;
    }
    l.resize(spans.size());
    r.resize(spans.size());
    size_t off = 0;
    for (size_t k = 0; k < spans.size(); ++k) {
      l[k] = {buffer.get() + off, spans[k].hi - spans[k].lo};
      r[k] = {reinterpret_cast<void*>(spans[k].lo), spans[k].hi - spans[k].lo};
      off += spans[k].hi - spans[k].lo;
    }
    const ssize_t got = spans.empty() ? 0 : readv(l.data(), r.data(), spans.size());
    size_t have = got > 0 ? static_cast<size_t>(got) : 0;
    off = 0;
    for (const Span& sp : spans) {
      const size_t n = sp.hi - sp.lo;
      const bool whole = have >= n;
      have = whole ? have - n : 0;
      for (size_t k = sp.first; k < sp.last; ++k) {
        const uint64_t a = addrs[order[k]];
        if (whole) visit(order[k], buffer.get() + off + (a - sp.lo));
        else visit(order[k], read(a, one.data(), len) ? one.data() : nullptr);  // short: one by one
      }
      off += n;
    }
  }
}

}  // namespace ts::gort
