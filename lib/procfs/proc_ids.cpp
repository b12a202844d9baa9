// proc_ids.cpp: the task ids /proc shows.
#include "procfs/proc_ids.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

#include "model/error.h"

namespace ts::procfs {

namespace {

// numeric_entries() lists, sorted, the positive numeric entries of a /proc directory.
std::vector<int32_t> numeric_entries(const std::string& dir) {
  std::vector<int32_t> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  read_ids(d, out);
  closedir(d);
  return out;
}

}  // namespace

bool read_ids(DIR* d, std::vector<int32_t>& out) {
  out.clear();
  errno = 0;
  while (const dirent* e = readdir(d)) {
    const char* n = e->d_name;
    if (*n < '1' || *n > '9') continue;
    const char* end = n + std::strlen(n);
    int32_t v = 0;
    const auto [ptr, ec] = std::from_chars(n, end, v);
    if (ec == std::errc() && ptr == end) out.push_back(v);
  }
  const bool ok = errno == 0;  // readdir() leaves errno alone at the end, sets it on an error
  std::sort(out.begin(), out.end());
  return ok;
}

std::vector<int32_t> proc_tgids() { return numeric_entries("/proc"); }

std::vector<int32_t> proc_task_ids(int32_t pid) { return numeric_entries("/proc/" + std::to_string(pid) + "/task"); }

void check_proc_pidns() {
  static const char* const kFix =
      ": mount this namespace's own, e.g. unshare --pid --fork --mount-proc, or mount -t proc proc /proc";
  char buf[32];
  const ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
  if (n <= 0 && errno == ENOENT && access("/proc/stat", F_OK) == 0)
    throw Error(std::string("/proc belongs to a pid namespace in which this process does not exist") + kFix);
  if (n <= 0) throw Error(std::string("cannot read /proc/self (") + std::strerror(errno) + "): is /proc mounted?");
  buf[n] = '\0';
  const std::string there(buf), here = std::to_string(getpid());
  if (there == here) return;
  throw Error("/proc belongs to another pid namespace (it calls this process " + there + ", which is " + here +
              " here)" + kFix);
}

}  // namespace ts::procfs
