// replay_feed.cpp: moving through a recording, a Frame per move.
#include "history/replay_feed.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "history/replay.h"
#include "history/time_spec.h"
#include "model/error.h"

namespace ts::history {

ReplayFeed::ReplayFeed(const std::string& path, const std::string& at) : reader_(path) {
  fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd_ < 0) throw Error(std::string("cannot create an eventfd: ") + std::strerror(errno));
  const SampleRef first = reader_.first(), last = reader_.last();
  try {
    go(reader_.at(parse_time(at.empty() ? "start" : at, first.wall_ns, last.wall_ns)));
  } catch (...) {
    close(fd_);
    throw;
  }
}

ReplayFeed::~ReplayFeed() { close(fd_); }

void ReplayFeed::go(const SampleRef& ref) {
  at_ = ref;
  auto f = replay_frame(reader_, ref);
  source_ = f->snap.source;
  waiting_ = std::move(f);
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = write(fd_, &one, sizeof one);
}

std::shared_ptr<const view::Frame> ReplayFeed::take() {
  uint64_t v;
  [[maybe_unused]] const ssize_t n = read(fd_, &v, sizeof v);
  return std::move(waiting_);
}

void ReplayFeed::jump(const std::string& at) {
  go(reader_.at(parse_time(at, reader_.first().wall_ns, reader_.last().wall_ns, "time")));
}

bool ReplayFeed::next() {
  const auto after = reader_.after(at_.id);
  if (after) go(*after);
  return after.has_value();
}

bool ReplayFeed::key(const view::Key& k) {
  int step = 0;
  if (k.kind == view::KeyKind::Home) {
    go(reader_.first());
    return true;
  }
  if (k.kind == view::KeyKind::End) {
    go(reader_.last());
    return true;
  }
  if (k.kind != view::KeyKind::Char) return false;
  switch (k.ch) {
    case '[': step = -1; break;
    case ']': step = 1; break;
    case '{': step = -60; break;
    case '}': step = 60; break;
    default: return false;
  }
  SampleRef to = at_;
  for (int i = 0; i < std::abs(step); ++i) {
    const auto n = step < 0 ? reader_.before(to.id) : reader_.after(to.id);
    if (!n) break;
    to = *n;
  }
  go(to);
  return true;
}

std::string ReplayFeed::position() const {
  return "replay " + reader_.path() + ": sample " + std::to_string(at_.id) + ", " + format_time(at_.wall_ns) +
         " ([ ] one sample, { } 60, Home End, @ a time)";
}

}  // namespace ts::history
