// frame_wait.cpp: wait_frame() and NoteOnce.
#include "view/frame_wait.h"

#include <poll.h>

#include <cerrno>
#include <cstring>

#include "model/error.h"

namespace ts::view {

std::shared_ptr<const Frame> wait_frame(Collector& c, int stop_fd) {
  for (;;) {
    pollfd fds[2] = {{c.fd(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw Error(std::string("poll: ") + std::strerror(errno));
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) return nullptr;
    if (std::shared_ptr<const Frame> f = c.take()) return f;
  }
}

bool NoteOnce::first(const std::string& note) {
  std::string kind = note;
  std::erase_if(kind, [](char ch) { return ch >= '0' && ch <= '9'; });
  return said_.insert(std::move(kind)).second;
}

}  // namespace ts::view
