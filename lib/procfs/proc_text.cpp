// proc_text.cpp: parsers of /proc stat and status text, and the small-file read they use.
#include "procfs/proc_text.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <algorithm>
#include <charconv>
#include <optional>

#include "sys/text.h"

namespace ts::procfs {

namespace {

// Cursor walks space-separated numeric fields of a stat line.
struct Cursor {
  const char* p;
  const char* end;

  // next() parses the next field as T; false when the text ends or the field is not a number.
  template <class T>
  bool next(T& v) {
    while (p < end && *p == ' ') ++p;
    if (p >= end) return false;
    const char* start = p;
    while (p < end && *p != ' ' && *p != '\n') ++p;
    // Signed fields (nice, priority) may be negative; unsigned ones never are.
    auto [ptr, ec] = std::from_chars(start, p, v);
    return ec == std::errc() && ptr == p;
  }
  // skip() passes over n fields of any content.
  bool skip(int n) {
    for (int i = 0; i < n; ++i) {
      while (p < end && *p == ' ') ++p;
      if (p >= end || *p == '\n') return false;
      while (p < end && *p != ' ' && *p != '\n') ++p;
    }
    return true;
  }
};

}  // namespace

bool parse_stat(std::string_view text, StatLine& out) {
  const size_t open = text.find('(');
  const size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return false;
  {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + open, out.pid);
    if (ec != std::errc() || *ptr != ' ') return false;
  }
  out.comm.assign(text.substr(open + 1, close - open - 1));
  Cursor c{text.data() + close + 1, text.data() + text.size()};
  while (c.p < c.end && *c.p == ' ') ++c.p;
  if (c.p >= c.end) return false;
  out.state = *c.p++;
  // Fields 4..41 (1-based, as proc(5) numbers them) are required.
  if (!c.next(out.ppid) || !c.skip(4) || !c.next(out.flags) || !c.skip(4)) return false;   // 4..13
  if (!c.next(out.utime) || !c.next(out.stime) || !c.skip(2)) return false;                  // 14..17
  if (!c.next(out.priority) || !c.next(out.nice) || !c.next(out.num_threads)) return false;  // 18..20
  if (!c.skip(1) || !c.next(out.starttime) || !c.next(out.vsize) || !c.next(out.rss)) return false;  // 21..24
  if (!c.skip(1) || !c.next(out.start_code) || !c.next(out.end_code) || !c.next(out.start_stack)) return false;  // 25..28
  if (!c.skip(10) || !c.next(out.processor) || !c.next(out.rt_priority) || !c.next(out.policy)) return false;  // 29..41
  // 42..44 then start_data, end_data, start_brk (since Linux 3.3).
  if (c.skip(3) && c.next(out.start_data) && c.next(out.end_data)) c.next(out.start_brk);
  return true;
}

namespace {

// value_after() parses the decimal number following `key` at a line start, or returns false.
bool value_after(std::string_view text, std::string_view key, uint64_t& v) {
  size_t at = 0;
  while ((at = text.find(key, at)) != std::string_view::npos) {
    if (at == 0 || text[at - 1] == '\n') break;
    at += key.size();
  }
  if (at == std::string_view::npos) return false;
  const char* p = text.data() + at + key.size();
  const char* end = text.data() + text.size();
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  auto [ptr, ec] = std::from_chars(p, end, v);
  return ec == std::errc() && ptr != p;
}

// line_after() is the rest of the line that starts with `key`, or nullopt.
std::optional<std::string_view> line_after(std::string_view text, std::string_view key) {
  size_t at = 0;
  while ((at = text.find(key, at)) != std::string_view::npos) {
    if (at == 0 || text[at - 1] == '\n') break;
    at += key.size();
  }
  if (at == std::string_view::npos) return std::nullopt;
  text.remove_prefix(at + key.size());
  return text.substr(0, text.find('\n'));
}

}  // namespace

bool parse_status_process(std::string_view text, StatusProcess& out) {
  StatusProcess s;
  uint64_t tgid = 0;
  const auto uid = line_after(text, "Uid:");
  if (!value_after(text, "Tgid:", tgid) || tgid == 0 || tgid > INT32_MAX || !uid) return false;
  s.tgid = static_cast<int32_t>(tgid);
  // "Uid:\tREAL\tEFFECTIVE\tSAVED\tFS": the second number.
  const char* p = uid->data();
  const char* const end = p + uid->size();
  uint64_t v = 0;
  for (int field = 0; field < 2; ++field) {
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    const auto [ptr, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || ptr == p) return false;
    p = ptr;
  }
  if (v > UINT32_MAX) return false;
  s.euid = static_cast<uint32_t>(v);
  value_after(text, "VmRSS:", s.vm_rss_kb);  // absent: no address space
  out = s;
  return true;
}

Switches parse_status_switches(std::string_view text) {
  Switches s;
  const bool v = value_after(text, "voluntary_ctxt_switches:", s.nvcsw);
  const bool n = value_after(text, "nonvoluntary_ctxt_switches:", s.nivcsw);
  s.found = v && n;
  return s;
}

bool parse_schedstat(std::string_view text, SchedStat& out) {
  Cursor c{text.data(), text.data() + text.size()};
  SchedStat s;
  if (!c.next(s.cpu_ns) || !c.next(s.run_delay_ns) || !c.next(s.pcount)) return false;
  out = s;
  return true;
}

ssize_t read_small(const char* path, char* buf, size_t cap) { return read_small_at(AT_FDCWD, path, buf, cap); }

ssize_t read_small_at(int dirfd, const char* path, char* buf, size_t cap) {
  const int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const ssize_t got = read_fd(fd, buf, cap);
  close(fd);
  return got;
}

ssize_t read_fd(int fd, char* buf, size_t cap) {
  size_t got = 0;
  while (got < cap) {
    const ssize_t n = pread(fd, buf + got, cap - got, static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

}  // namespace ts::procfs

namespace ts::procfs {

int32_t tgid_of(int32_t tid) {
  if (tid <= 0) return 0;
  char path[48], buf[4096];
  std::snprintf(path, sizeof path, "/proc/%d/status", tid);
  const ssize_t n = read_small(path, buf, sizeof buf);
  if (n <= 0) return 0;
  uint64_t tgid = 0;
  if (!value_after(std::string_view(buf, static_cast<size_t>(n)), "Tgid:", tgid) || tgid > INT32_MAX) return 0;
  return static_cast<int32_t>(tgid);
}

bool read_comm_at(int task_dirfd, int32_t tid, std::string& out) {
  char path[32], buf[64];
  std::snprintf(path, sizeof path, "%d/comm", tid);
  const ssize_t n = read_small_at(task_dirfd, path, buf, sizeof buf);
  if (n <= 0) return false;
  size_t len = static_cast<size_t>(n);
  if (buf[len - 1] == '\n') --len;  // the one newline the kernel adds
  out.assign(buf, len);
  return true;
}

std::string read_cmdline(int32_t pid) {
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string raw;
  read_cmdline_fd(fd, raw);
  close(fd);
  return sys::join_argv(std::string_view(raw));
}

bool read_cmdline_fd(int fd, std::string& raw) {
  constexpr size_t kMax = 64u << 10;
  raw.assign(4096, '\0');
  size_t have = 0;
  bool ok = true;
  for (;;) {
    if (have == raw.size()) {
      if (raw.size() >= kMax) break;
      raw.resize(std::min(kMax, raw.size() * 2));
    }
    const ssize_t n = pread(fd, raw.data() + have, raw.size() - have, static_cast<off_t>(have));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    have += static_cast<size_t>(n);
  }
  raw.resize(have);
  return ok;
}

}  // namespace ts::procfs
