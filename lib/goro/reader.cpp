// reader.cpp: find, open and sanity-check a goro process's segment, then decode it.
#include "goro/reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "goro/introspect_abi.h"
#include "model/error.h"
#include "procfs/proc_ids.h"
#include "sys/clock.h"
#include "sys/pid.h"

namespace ts::goro {
namespace {

// process_start_unix_ns() is when pid started (wall clock), from /proc/PID/stat field 22 and the
// boot time; 0 when unreadable.
uint64_t process_start_unix_ns(int32_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return 0;
  const auto close = line.rfind(')');  // comm may hold spaces and parentheses
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i)
    if (i == 22) {
      const uint64_t ticks = std::strtoull(field.c_str(), nullptr, 10);
      return sys::boot_time_unix_ns() + ticks * sys::ns_per_clock_tick();
    }
  return 0;
}

}  // namespace

std::string segment_path(int32_t pid) { return "/dev/shm" GORO_ABI_SHM_PREFIX + std::to_string(pid); }

GoroSnapshot read_goro(int32_t pid, const ParseOptions& opt) {
  const std::string pid_s = std::to_string(pid);
  if (!sys::pid_alive(pid)) throw Gone("no process with pid " + pid_s);
  const std::string path = segment_path(pid);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT)
      throw Gone("pid " + pid_s + " publishes no goro state (" + path + " not found): is it a goro program?");
    if (e == EACCES || e == EPERM) {
      struct stat proc_st {};
      const std::string owner = stat(("/proc/" + pid_s).c_str(), &proc_st) == 0 ? " (uid " + std::to_string(proc_st.st_uid) + ")" : "";
      throw Error("cannot read " + path + ": permission denied (goro segments are readable by their owner only: run as the owner of pid " +
                  pid_s + owner + " or as root)");
    }
    if (e == ELOOP) throw Error(path + " is a symbolic link, not a goro segment: refusing to follow it");
    throw Error("cannot open " + path + ": " + std::strerror(e));
  }
  struct Close {
    int fd;
    ~Close() { close(fd); }
  } closer{fd};
  // /dev/shm is world-writable: a segment planted by another user is not the process's own.
  struct stat seg_st {}, proc_st {};
  if (fstat(fd, &seg_st) == 0 && stat(("/proc/" + pid_s).c_str(), &proc_st) == 0 && seg_st.st_uid != proc_st.st_uid)
    throw Error(path + " is owned by uid " + std::to_string(seg_st.st_uid) + " but pid " + pid_s + " runs as uid " +
                std::to_string(proc_st.st_uid) + ": not that process's segment");
  ParseOptions o = opt;
  o.expect_pid = pid;
  GoroSnapshot s = read_segment_fd(fd, o, path);
  if (!sys::pid_alive(pid)) throw Gone("no process with pid " + pid_s + " (it exited while being read)");
  const uint64_t started = process_start_unix_ns(pid);
  // One second of slack: boot time derived from two clocks is only that precise.
  if (started && s.start_unix_ns && started > s.start_unix_ns + 1000000000ull)
    throw Error(path + " is stale: pid " + pid_s + " started after that goro runtime did (a crashed process's segment, pid reused?)");
  const std::vector<int32_t> tids = procfs::proc_task_ids(pid);
  if (!tids.empty())
    for (GoroM& m : s.ms) m.tid_alive = std::binary_search(tids.begin(), tids.end(), m.tid);
  s.runtime = "goro";
  return s;
}

}  // namespace ts::goro
