// remote_memory.cpp: process_vm_readv behind a check against the target's readable mappings.
#include "gort/remote_memory.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "model/error.h"
#include "procfs/maps_parse.h"
#include "procfs/maps_read_file.h"

namespace ts::gort {

RemoteMemory::RemoteMemory(int32_t pid) : pid_(pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/maps";
  const FileRead f = read_proc_file(path);
  if (is_gone_errno(f.error)) throw Gone("no process with pid " + std::to_string(pid));
  if (!f.ok())
    throw Error("cannot read " + path + ": " + std::strerror(f.error) + " (reading another process's memory needs root or CAP_SYS_PTRACE)");
  for (const MemorySegment& m : parse_maps(f.text)) {
    if (m.perms.empty() || m.perms[0] != 'r' || m.end <= m.start) continue;
    if (!ranges_.empty() && ranges_.back().hi == m.start) ranges_.back().hi = m.end;
    else ranges_.push_back({m.start, m.end});
  }
  std::sort(ranges_.begin(), ranges_.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
  if (ranges_.empty()) throw Gone("no process with pid " + std::to_string(pid) + " (no memory mapped: it exited?)");
}

bool RemoteMemory::readable(uint64_t addr, uint64_t len) const {
  if (len == 0 || addr + len < addr) return false;
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

std::vector<bool> RemoteMemory::read_many(const std::vector<uint64_t>& addrs, size_t len, uint8_t* out) const {
  std::vector<bool> ok(addrs.size(), false);
  // Only ranges that pass readable() are asked for; a short result means "up to the first range
  // that failed" (the target unmapped it meanwhile): that record is lost, the rest is asked again.
  std::vector<size_t> idx;
  for (size_t i = 0; i < addrs.size(); ++i)
    if (readable(addrs[i], len)) idx.push_back(i);
  std::vector<iovec> l, r;
  size_t pos = 0;
  while (pos < idx.size()) {
    const size_t n = std::min<size_t>(IOV_MAX, idx.size() - pos);
    l.resize(n);
    r.resize(n);
    for (size_t k = 0; k < n; ++k) {
      l[k] = {out + idx[pos + k] * len, len};
      r[k] = {reinterpret_cast<void*>(addrs[idx[pos + k]]), len};
    }
    const ssize_t got = readv(l.data(), r.data(), n);
    const size_t whole = got > 0 ? static_cast<size_t>(got) / len : 0;
    for (size_t k = 0; k < whole; ++k) ok[idx[pos + k]] = true;
    pos += whole + (whole < n ? 1 : 0);
  }
  for (size_t i = 0; i < addrs.size(); ++i)
    if (!ok[i]) std::memset(out + i * len, 0, len);  // unreadable, or copied only in part
  return ok;
}

}  // namespace ts::gort
