// proc_peek.h: tiny /proc readers the BPF tests compare against (independent of lib/procfs), and
// the record finder they share.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <span>
#include <string>

#include "bpf/task_record.h"

namespace ts::test {

// task_stat() returns /proc/PID/task/TID/stat, or "" when the task is gone.
inline std::string task_stat(int32_t pid, int32_t tid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// stat_field() returns field `n` (1-based, as proc(5) numbers them, n >= 3) of the task's stat.
inline uint64_t stat_field(int32_t pid, int32_t tid, int n) {
  const std::string s = task_stat(pid, tid);
  const size_t close = s.rfind(')');
  if (close == std::string::npos || close + 2 >= s.size()) return 0;
  std::istringstream rest(s.substr(close + 2));
  std::string v;
  for (int i = 3; i <= n; ++i) rest >> v;
  return v.empty() || v[0] < '0' || v[0] > '9' ? 0 : std::stoull(v);
}

// leader_of() is the record of thread group `pid`'s leader among `recs`, or null.
inline const task_rec* leader_of(std::span<const task_rec* const> recs, int32_t pid) {
  for (const task_rec* r : recs)
    if (r->pid == pid) return r;
  return nullptr;
}

// proc_cmdline() is /proc/PID/cmdline's raw bytes (NUL-separated), or "" when the process is gone.
inline std::string proc_cmdline(int32_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// wait_sleeping() waits (up to 5 s) until /proc shows the task asleep ('S') twice in a row
// 2 ms apart, so that its counters stand still while a test compares them.
inline void wait_sleeping(int32_t pid, int32_t tid) {
  int streak = 0;
  for (int i = 0; i < 2500 && streak < 2; ++i) {
    const std::string s = task_stat(pid, tid);
    const size_t close = s.rfind(')');
    streak = close != std::string::npos && close + 2 < s.size() && s[close + 2] == 'S' ? streak + 1 : 0;
    usleep(2000);
  }
}

// status_value() returns the number after `key:` in /proc/PID/task/TID/status (0 when absent).
inline uint64_t status_value(int32_t pid, int32_t tid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key + ":", 0) == 0) return std::stoull(line.substr(key.size() + 1));
  return 0;
}

}  // namespace ts::test
