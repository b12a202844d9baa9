// iter_pin.cpp: finding, checking and making the snapshot programs' pins in bpffs.
#include "bpf/iter_pin.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <vector>

#include "model/error.h"
#include "sys/pid.h"

namespace ts::bpf {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

namespace {

constexpr const char* kDefaultRoot = "/sys/fs/bpf/taskscope";
constexpr std::string_view kProgPrefix = "prog-";

// The names the programs have in the kernel (BPF_OBJ_NAME_LEN: 15 bytes kept).
constexpr const char* kIterNames[] = {"dump_task_argv", "dump_task_argv_", "dump_task", "dump_task_appro"};
constexpr const char* kWalkNames[] = {"walk_tasks", "walk_tasks_appr"};

std::string hex(const uint8_t* p, size_t n) {
  std::string s;
  char b[3];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02x", p[i]);
    s += b;
  }
  return s;
}

// vmlinux_btf_id() is the id of the kernel's own BTF object (0 when it cannot be read: listing BTF
// objects takes CAP_SYS_ADMIN). It is the first one the kernel made, so the walk stops early.
uint32_t vmlinux_btf_id() {
  uint32_t id = 0;
  while (bpf_btf_get_next_id(id, &id) == 0) {
    UniqueFd fd(bpf_btf_get_fd_by_id(id));
    if (fd.get() < 0) return 0;
    char name[16] = {};
    bpf_btf_info info{};
    info.name = reinterpret_cast<uintptr_t>(name);
    info.name_len = sizeof name;
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) return 0;
    if (info.kernel_btf && std::strcmp(name, "vmlinux") == 0) return id;
  }
  return 0;
}

bool is_bpffs(const std::string& path) {
  struct statfs fs {};
  return statfs(path.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == BPF_FS_MAGIC;
}

// private_dir() tells whether `st` is a directory of this user that no one else may enter.
bool private_dir(const struct stat& st) {
  return S_ISDIR(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 077) == 0;
}

// entries() lists the names in directory `path` (without . and ..).
std::vector<std::string> entries(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = opendir(path.c_str());
  if (!d) return out;
  while (const dirent* e = readdir(d)) {
    const std::string_view n = e->d_name;
    if (n != "." && n != "..") out.emplace_back(n);
  }
  closedir(d);
  return out;
}

// remove_dir() removes a pin directory and the pins in it (bpffs directories hold no deeper ones).
void remove_dir(const std::string& path) {
  for (const std::string& n : entries(path)) unlink((path + "/" + n).c_str());
  rmdir(path.c_str());
}

// same_build() is the part of a key that names the object and the kernel ("task_iter-HASH-btfID-").
std::string_view same_build(std::string_view key) {
  const size_t ns = key.find("-ns");
  return ns == std::string_view::npos ? key : key.substr(0, ns + 1);
}

bool prog_info(int fd, bpf_prog_info& info) {
  info = {};
  uint32_t len = sizeof info;
  return bpf_obj_get_info_by_fd(fd, &info, &len) == 0;
}

bool ours(const PinKind& kind, const bpf_prog_info& info) {
  if (info.type != kind.prog_type) return false;
  for (size_t i = 0; i < kind.n_names; ++i)
    if (std::strncmp(info.name, kind.names[i], sizeof info.name) == 0) return true;
  return false;
}

}  // namespace

const PinKind kIterPin{"task_iter-", kIterNames, std::size(kIterNames), BPF_PROG_TYPE_TRACING, true};
const PinKind kWalkPin{"task_walk-", kWalkNames, std::size(kWalkNames), BPF_PROG_TYPE_SYSCALL, false};

PinPlace pin_place(const PinKind& kind, std::string_view object, uint32_t pidns, std::string_view variants) {
  PinPlace p;
  p.kind = &kind;
  const char* env = std::getenv("TASKSCOPE_BPF_PIN_DIR");
  std::string root = env && *env ? env : kDefaultRoot;
  if (root == "off") {
    p.why = "TASKSCOPE_BPF_PIN_DIR=off";
    return p;
  }
  if (pidns != 0) {
    // A pid namespace lives shorter than bpffs: its pins would outlive it, one set per container.
    p.why = "not pinned from inside a pid namespace";
    return p;
  }
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  const std::string parent = root.substr(0, root.rfind('/') == 0 ? 1 : root.rfind('/'));
  if (!is_bpffs(root) && !is_bpffs(parent)) {
    p.why = parent + " is not a bpffs mount";
    return p;
  }
  const uint32_t btf = vmlinux_btf_id();
  if (!btf) {
    p.why = "cannot read the kernel BTF's id (needs CAP_SYS_ADMIN)";
    return p;
  }
  std::string v;
  for (char c : variants) v += (c >= 'a' && c <= 'z') ? c : '_';
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string_view>{}(object));
  p.root = root;
  p.key = std::string(kind.prefix) + hash + "-btf" + std::to_string(btf) + "-ns" + std::to_string(pidns) +
          (v.empty() ? "" : "-" + v);
  p.btf_id = btf;
  return p;
}

bool open_pinned(const PinPlace& place, PinnedIter& out, bool& stale) {
  stale = false;
  if (place.root.empty()) return false;
  const std::string dir = place.root + "/" + place.key;
  UniqueFd dfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0) return false;  // nothing pinned yet
  stale = true;                     // until every check passes
  struct stat st {};
  if (fstat(dfd.get(), &st) != 0 || !private_dir(st)) return false;
  std::string prog_file, tag;
  bool link_file = false;
  for (const std::string& n : entries(dir)) {
    if (n.rfind(kProgPrefix, 0) == 0 && prog_file.empty()) {
      prog_file = n;
      tag = n.substr(kProgPrefix.size());
    } else if (n == "link" && place.kind->link) {
      link_file = true;
    } else {
      return false;  // something we never pin
    }
  }
  const PinKind& kind = *place.kind;
  if (prog_file.empty() || link_file != kind.link) return false;
  UniqueFd prog(bpf_obj_get((dir + "/" + prog_file).c_str()));
  bpf_prog_info pi;
  // An iterator is attached to the kernel's BTF; a syscall program to nothing (the key names the BTF).
  if (prog.get() < 0 || !prog_info(prog.get(), pi) || !ours(kind, pi) || hex(pi.tag, sizeof pi.tag) != tag ||
      (kind.link && pi.attach_btf_obj_id != place.btf_id))
    return false;
  UniqueFd link;
  if (kind.link) {
    link.reset(bpf_obj_get((dir + "/link").c_str()));
    bpf_link_info li{};
    uint32_t len = sizeof li;
    if (link.get() < 0 || bpf_obj_get_info_by_fd(link.get(), &li, &len) != 0 || li.type != BPF_LINK_TYPE_ITER ||
        li.prog_id != pi.id)
      return false;
  }
  stale = false;
  out.prog = std::move(prog);
  out.link = std::move(link);
  out.dir = std::move(dfd);
  out.prog_name.assign(pi.name, strnlen(pi.name, sizeof pi.name));
  return true;
}

std::string pin_iter(const PinPlace& place, int prog_fd, int link_fd) {
  if (place.root.empty()) return place.why;
  if (mkdir(place.root.c_str(), 0700) != 0 && errno != EEXIST)
    return place.root + ": " + std::strerror(errno);
  struct stat st {};
  if (stat(place.root.c_str(), &st) != 0 || !private_dir(st))
    return place.root + " is not a directory of this user closed to others";
  bpf_prog_info pi;
  if (!prog_info(prog_fd, pi)) return std::string("cannot read the program's tag: ") + std::strerror(errno);
  const std::string tmp = place.root + "/tmp-" + std::to_string(getpid()) + "-" + place.key;
  remove_dir(tmp);
  if (mkdir(tmp.c_str(), 0700) != 0) return tmp + ": " + std::strerror(errno);
  if (bpf_obj_pin(prog_fd, (tmp + "/" + std::string(kProgPrefix) + hex(pi.tag, sizeof pi.tag)).c_str()) != 0 ||
      (place.kind->link && bpf_obj_pin(link_fd, (tmp + "/link").c_str()) != 0)) {
    const std::string why = std::string("cannot pin in ") + place.root + ": " + std::strerror(errno);
    remove_dir(tmp);
    return why;
  }
  const std::string dir = place.root + "/" + place.key;
  PinnedIter there;
  bool stale = false;
  if (!open_pinned(place, there, stale) && stale) remove_dir(dir);
  if (rename(tmp.c_str(), dir.c_str()) != 0) {
    const int err = errno;
    remove_dir(tmp);
    return err == EEXIST || err == ENOTEMPTY ? "another run pinned it first" : dir + ": " + std::strerror(err);
  }
  // Pins of other builds of the object, or of another kernel BTF, are of no use to anyone.
  // So are the private directories of runs that died before renaming theirs ("tmp-PID-KEY").
  for (const std::string& n : entries(place.root)) {
    if (n.rfind(place.kind->prefix, 0) == 0 && same_build(n) != same_build(place.key))
      remove_dir(place.root + "/" + n);
    if (n.rfind("tmp-", 0) == 0) {
      const std::string pid = n.substr(4, n.find('-', 4) - 4);
      try {
        if (!sys::pid_alive(sys::parse_pid(pid, "a pin directory's pid"))) remove_dir(place.root + "/" + n);
      } catch (const Error&) {
        // not a name we make
      }
    }
  }
  return "";
}

void lock(const PinnedIter& p) {
  if (p.dir.get() >= 0)
    while (flock(p.dir.get(), LOCK_EX) != 0 && errno == EINTR) {
    }
}

void unlock(const PinnedIter& p) {
  if (p.dir.get() >= 0) flock(p.dir.get(), LOCK_UN);
}

}  // namespace ts::bpf
