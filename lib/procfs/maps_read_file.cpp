// maps_read_file.cpp: whole-file reads of /proc with errno kept.
#include "procfs/maps_read_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace ts {

FileRead read_proc_file(const std::string& path) {
  FileRead r;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    r.error = errno;
    return r;
  }
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      r.text.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      r.error = errno;
      r.text.clear();
      break;
    }
  }
  close(fd);
  return r;
}

bool is_gone_errno(int e) { return e == ENOENT || e == ESRCH; }

bool is_denied_errno(int e) { return e == EACCES || e == EPERM; }

}  // namespace ts
