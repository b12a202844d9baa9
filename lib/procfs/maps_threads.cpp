// maps_threads.cpp: thread stack pointers from the syscall file each task exposes.
#include "procfs/maps_threads.h"

#include <dirent.h>
#include <sched.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "procfs/maps_read_file.h"

namespace ts {

std::optional<uint64_t> parse_syscall_sp(std::string_view text) {
  std::vector<std::string_view> tok;
  while (!text.empty()) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\n')) text.remove_prefix(1);
    size_t n = 0;
    while (n < text.size() && text[n] != ' ' && text[n] != '\n') ++n;
    if (n) tok.push_back(text.substr(0, n));
    text.remove_prefix(n);
  }
  // In a syscall: nr + 6 args + sp + pc; blocked outside one: -1 + sp + pc.
  if (tok.size() != 9 && !(tok.size() == 3 && tok[0] == "-1")) return std::nullopt;
  std::string_view s = tok[tok.size() - 2];
  if (!s.starts_with("0x")) return std::nullopt;
  s.remove_prefix(2);
  uint64_t sp = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), sp, 16);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return sp;
}

std::vector<int32_t> task_tids(pid_t pid) {
  std::vector<int32_t> tids;
  DIR* d = opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (!d) return tids;
  while (dirent* e = readdir(d)) {
    int32_t tid = 0;
    const char* end = e->d_name + std::char_traits<char>::length(e->d_name);
    auto [p, ec] = std::from_chars(e->d_name, end, tid);
    if (ec == std::errc() && p == end && tid > 0) tids.push_back(tid);
  }
  closedir(d);
  std::sort(tids.begin(), tids.end());
  return tids;
}

ThreadSps read_thread_sps(pid_t pid) {
  ThreadSps out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  for (int32_t tid : task_tids(pid)) {
    const std::string path = dir + "/" + std::to_string(tid) + "/syscall";
    bool placed = false;
    // A thread on a CPU shows "running"; it usually blocks again within a few scheduler ticks.
    for (int attempt = 0; attempt < 20 && !placed; ++attempt) {
      const FileRead r = read_proc_file(path);
      if (is_gone_errno(r.error)) {
        placed = true;
      } else if (is_denied_errno(r.error)) {
        out.denied.push_back(tid);
        placed = true;
      } else if (!r.ok()) {
        placed = true;
      } else if (auto sp = parse_syscall_sp(r.text)) {
        if (*sp != 0) out.found.push_back(ThreadSp{tid, *sp});  // 0: an exited (zombie) thread has no user context
        placed = true;
      } else {
        sched_yield();
      }
    }
    if (!placed) out.running.push_back(tid);
  }
  return out;
}

}  // namespace ts
