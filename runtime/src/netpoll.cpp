// netpoll.cpp: the netpoller, Go's netpoll_epoll.go on Linux.
//
// One epoll instance for the process. Every fd is registered once, edge-triggered, for
// EPOLLIN|EPOLLOUT|EPOLLRDHUP, with its poll_desc as the event's data. A G that gets EAGAIN calls
// netpoll_wait(): if an edge arrived since its last wait it retries at once, else it records
// itself in the descriptor and parks in "IO wait". The scheduler calls netpoll() (non-blocking
// when it looks for work, blocking when it would otherwise sleep), which turns events into ready()
// calls. An eventfd, registered level-triggered, is how netpoll_break() interrupts a blocked poll.
//
// poll_descs are never freed, only recycled (as Go's pollCache): an event already dequeued for a
// closed fd may still touch its descriptor, which at worst gives a spurious wakeup (the G retries
// its syscall, gets EAGAIN and waits again).
#include "netpoll.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <utility>

#include "goro/detail/park.h"
#include "goro/introspect_abi.h"
#include "goro/mutex.h"
#include "sync_fatal.h"

namespace goro::detail {

struct poll_desc {
  rtlock lock;
  int fd = -1;
  G* rg = nullptr;      // G parked waiting to read; guarded by lock
  G* wg = nullptr;      // G parked waiting to write; guarded by lock
  bool rready = false;  // a read edge arrived that no wait has consumed; guarded by lock
  bool wready = false;
  bool closing = false;     // guarded by lock
  poll_desc* next_free = nullptr;  // guarded by the cache mutex
};

namespace {

std::atomic<int> g_epfd{-1};
int g_eventfd = -1;
std::atomic<uint32_t> g_wake_sent{0};  // a netpoll_break() write is pending (coalesces breaks)
std::atomic<int64_t> g_io_waiters{0};
std::once_flag g_init_once;
std::mutex g_cache_mu;
poll_desc* g_free = nullptr;  // recycled descriptors; guarded by g_cache_mu

// The eventfd's epoll data: any address no poll_desc can have.
char g_break_tag;

void init_poller() {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) sync_fatal("netpoll: epoll_create1 failed");
  int ev = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ev < 0) sync_fatal("netpoll: eventfd failed");
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.ptr = &g_break_tag;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) != 0) sync_fatal("netpoll: cannot register the eventfd");
  g_eventfd = ev;
  g_epfd.store(ep, std::memory_order_release);
}

poll_desc* alloc_desc() {
  std::lock_guard<std::mutex> l(g_cache_mu);
  if (g_free == nullptr) {
    // A block of descriptors at a time; never freed (see the file comment).
    constexpr int kBlock = 64;
    poll_desc* block = new poll_desc[kBlock];
    for (int i = 0; i < kBlock; ++i) {
      block[i].next_free = g_free;
      g_free = &block[i];
    }
  }
  poll_desc* pd = g_free;
  g_free = pd->next_free;
  pd->next_free = nullptr;
  return pd;
}

}  // namespace

poll_desc* netpoll_open(int fd) {
  std::call_once(g_init_once, init_poller);
  poll_desc* pd = alloc_desc();
  pd->lock.lock();
  pd->fd = fd;
  pd->rg = pd->wg = nullptr;
  pd->rready = pd->wready = false;
  pd->closing = false;
  pd->lock.unlock();
  epoll_event e{};
  e.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  e.data.ptr = pd;
  if (epoll_ctl(g_epfd.load(std::memory_order_acquire), EPOLL_CTL_ADD, fd, &e) != 0) {
    int err = errno;
    netpoll_close(pd);
    errno = err;
    return nullptr;
  }
  return pd;
}

void netpoll_close(poll_desc* pd) {
  pd->lock.lock();
  if (pd->rg != nullptr || pd->wg != nullptr) sync_fatal("netpoll: close of a descriptor with a G waiting on it");
  int fd = pd->fd;
  pd->fd = -1;
  pd->closing = true;
  pd->lock.unlock();
  if (fd >= 0) epoll_ctl(g_epfd.load(std::memory_order_acquire), EPOLL_CTL_DEL, fd, nullptr);
  std::lock_guard<std::mutex> l(g_cache_mu);
  pd->next_free = g_free;
  g_free = pd;
}

bool netpoll_wait(poll_desc* pd, bool write) {
  pd->lock.lock();
  if (pd->closing) {
    pd->lock.unlock();
    return false;
  }
  bool& ready_flag = write ? pd->wready : pd->rready;
  if (ready_flag) {
    ready_flag = false;
    pd->lock.unlock();
    return true;
  }
  G*& slot = write ? pd->wg : pd->rg;
  if (slot != nullptr) sync_fatal("netpoll: two Gs waiting on one fd in the same direction");
  G* g = current_g();
  if (g == nullptr) {
    pd->lock.unlock();
    sync_fatal("goro::net I/O outside a goroutine (call it inside goro::run)");
  }
  slot = g;
  g_io_waiters.fetch_add(1, std::memory_order_relaxed);
  park(GORO_WAIT_IO, &rtlock::unlock_fn, &pd->lock);
  // The waker cleared our slot and consumed the edge for us; closing is checked by the caller's
  // next wait (a spurious success only means one more EAGAIN).
  return true;
}

void netpoll_unblock(poll_desc* pd) {
  pd->lock.lock();
  pd->closing = true;
  G* r = pd->rg;
  G* w = pd->wg;
  pd->rg = pd->wg = nullptr;
  pd->lock.unlock();
  if (r != nullptr) {
    g_io_waiters.fetch_sub(1, std::memory_order_relaxed);
    ready(r);
  }
  if (w != nullptr) {
    g_io_waiters.fetch_sub(1, std::memory_order_relaxed);
    ready(w);
  }
}

int netpoll(int64_t timeout_ns) {
  int ep = g_epfd.load(std::memory_order_acquire);
  if (ep < 0) return 0;
  epoll_event events[128];
  int n;
  if (timeout_ns < 0) {
    n = epoll_wait(ep, events, 128, -1);
  } else {
    timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
    n = epoll_pwait2(ep, events, 128, &ts, nullptr);
  }
  if (n < 0) {
    if (errno == EINTR) return 0;
    sync_fatal("netpoll: epoll_wait failed");
  }
  int readied = 0;
  for (int i = 0; i < n; ++i) {
    const epoll_event& e = events[i];
    if (e.data.ptr == &g_break_tag) {
      uint64_t buf;
      while (read(g_eventfd, &buf, sizeof buf) > 0) {
      }
      g_wake_sent.store(0, std::memory_order_release);
      continue;
    }
    auto* pd = static_cast<poll_desc*>(e.data.ptr);
    bool rd = e.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
    bool wr = e.events & (EPOLLOUT | EPOLLHUP | EPOLLERR);
    G* r = nullptr;
    G* w = nullptr;
    pd->lock.lock();
    if (rd) {
      if (pd->rg != nullptr) r = std::exchange(pd->rg, nullptr);
      else pd->rready = true;
    }
    if (wr) {
      if (pd->wg != nullptr) w = std::exchange(pd->wg, nullptr);
      else pd->wready = true;
    }
    pd->lock.unlock();
    for (G* g : {r, w}) {
      if (g == nullptr) continue;
      g_io_waiters.fetch_sub(1, std::memory_order_relaxed);
      ready(g);
      ++readied;
    }
  }
  return readied;
}

void netpoll_break() {
  if (g_epfd.load(std::memory_order_acquire) < 0) return;
  uint32_t expect = 0;
  if (!g_wake_sent.compare_exchange_strong(expect, 1, std::memory_order_acq_rel)) return;
  uint64_t one = 1;
  for (;;) {
    ssize_t r = write(g_eventfd, &one, sizeof one);
    if (r == sizeof one || errno == EAGAIN) return;  // EAGAIN: the counter is saturated, a wake is pending
    if (errno != EINTR) sync_fatal("netpoll: eventfd write failed");
  }
}

bool netpoll_has_waiters() { return g_io_waiters.load(std::memory_order_relaxed) > 0; }

}  // namespace goro::detail
