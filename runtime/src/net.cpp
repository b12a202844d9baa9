// net.cpp: goro::net, TCP sockets whose waits go through the netpoller.
//
// Every operation is a loop: try the non-blocking syscall; on EAGAIN park in netpoll_wait() and
// retry. A netfd counts the operations in flight (Go's fdMutex, simplified): close() marks it
// closed and wakes the waiters, and whoever leaves last (close itself or the last operation)
// deregisters and closes the descriptor, so a woken reader never touches a recycled fd number.
// A second count keeps the netfd's memory alive while any operation (close() from another G
// included) is still inside it, even when its owner (conn/listener) is destroyed meanwhile.
#include "goro/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "netpoll.h"

namespace goro::net {

namespace detail {

struct netfd {
  int sysfd = -1;
  goro::detail::poll_desc* pd = nullptr;
  std::atomic<uint32_t> state{0};  // bit 0: closed; operations in flight << 1
  std::atomic<bool> released{false};
  std::atomic<uint32_t> refs{1};   // the owner plus every operation inside; the last one frees
};

}  // namespace detail

namespace {

using detail::netfd;

class net_category_impl : public std::error_category {
 public:
  const char* name() const noexcept override { return "goro.net"; }
  std::string message(int ev) const override {
    return ev == static_cast<int>(errc::closed) ? "use of closed network connection" : "unknown goro.net error";
  }
};

std::error_code sys_error(int e) { return {e, std::system_category()}; }

void release(netfd* f) {
  if (f->released.exchange(true, std::memory_order_acq_rel)) return;
  goro::detail::netpoll_close(f->pd);
  ::close(f->sysfd);
}

void unref(netfd* f) {
  if (f->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete f;
}

void op_end(netfd* f) {
  uint32_t now = f->state.fetch_sub(2, std::memory_order_acq_rel) - 2;
  if (now == 1) release(f);  // closed, and we were the last one in
  unref(f);
}

bool op_begin(netfd* f) {
  f->refs.fetch_add(1, std::memory_order_relaxed);
  uint32_t old = f->state.fetch_add(2, std::memory_order_acq_rel);
  if (old & 1) {
    op_end(f);
    return false;
  }
  return true;
}

bool is_closed(const netfd* f) { return f->state.load(std::memory_order_acquire) & 1; }

void fd_close(netfd* f) {
  f->refs.fetch_add(1, std::memory_order_relaxed);
  f->state.fetch_add(2, std::memory_order_acq_rel);  // hold the fd while waking its waiters
  uint32_t old = f->state.fetch_or(1, std::memory_order_acq_rel);
  if ((old & 1) == 0) goro::detail::netpoll_unblock(f->pd);
  op_end(f);
}

// new_netfd() registers a non-blocking socket; on failure closes it and sets ec.
netfd* new_netfd(int s, std::error_code& ec) {
  goro::detail::poll_desc* pd = goro::detail::netpoll_open(s);
  if (pd == nullptr) {
    ec = sys_error(errno);
    ::close(s);
    return nullptr;
  }
  auto* f = new netfd;
  f->sysfd = s;
  f->pd = pd;
  return f;
}

void destroy(netfd*& f) {
  if (f == nullptr) return;
  fd_close(f);
  unref(f);  // the owner's reference
  f = nullptr;
}

// parse_addr() turns host:port into a socket address.
bool parse_addr(const std::string& host, uint16_t port, sockaddr_storage& ss, socklen_t& len) {
  memset(&ss, 0, sizeof ss);
  std::string h = host == "localhost" ? "127.0.0.1" : host.empty() ? "0.0.0.0" : host;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
    return true;
  }
  return false;
}

// wait() parks until fd is ready in that direction; false (ec = closed) once it is closed.
bool wait(netfd* f, bool write, std::error_code& ec) {
  if (!goro::detail::netpoll_wait(f->pd, write) || is_closed(f)) {
    ec = errc::closed;
    return false;
  }
  return true;
}

// retry() runs one non-blocking socket call until it succeeds: again after EINTR (and after
// `also_retry`, an errno the call may report harmlessly), after parking in netpoll on EAGAIN.
// Returns the call's result, or -1 with `ec` set (closed, or the call's error).
template <class Call>
ssize_t retry(netfd* f, bool write, std::error_code& ec, Call call, int also_retry = EINTR) {
  for (;;) {
    ssize_t r = call();
    if (r >= 0) return r;
    if (errno == EINTR || errno == also_retry) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (wait(f, write, ec)) continue;
      return -1;
    }
    ec = sys_error(errno);
    return -1;
  }
}

}  // namespace

const std::error_category& net_category() noexcept {
  static const net_category_impl cat;
  return cat;
}

// ---- conn ----------------------------------------------------------------------------------------

conn::conn(conn&& o) noexcept : fd_(o.fd_) { o.fd_ = nullptr; }

conn& conn::operator=(conn&& o) noexcept {
  if (this != &o) {
    destroy(fd_);
    fd_ = o.fd_;
    o.fd_ = nullptr;
  }
  return *this;
}

conn::~conn() { destroy(fd_); }

int conn::fd() const noexcept { return fd_ != nullptr && !is_closed(fd_) ? fd_->sysfd : -1; }

void conn::close() noexcept {
  if (fd_ != nullptr) fd_close(fd_);
}

size_t conn::read(void* buf, size_t n, std::error_code& ec) noexcept {
  ec.clear();
  if (fd_ == nullptr || !op_begin(fd_)) {
    ec = errc::closed;
    return 0;
  }
  ssize_t r = retry(fd_, false, ec, [&] { return ::recv(fd_->sysfd, buf, n, 0); });
  op_end(fd_);
  return r > 0 ? static_cast<size_t>(r) : 0;
}

size_t conn::write(const void* buf, size_t n, std::error_code& ec) noexcept {
  ec.clear();
  if (fd_ == nullptr || !op_begin(fd_)) {
    ec = errc::closed;
    return 0;
  }
  const char* p = static_cast<const char*>(buf);
  size_t done = 0;
  while (done < n) {
    ssize_t r = retry(fd_, true, ec, [&] { return ::send(fd_->sysfd, p + done, n - done, MSG_NOSIGNAL); });
    if (r < 0) break;
    done += static_cast<size_t>(r);
  }
  op_end(fd_);
  return done;
}

size_t conn::read(void* buf, size_t n) {
  std::error_code ec;
  size_t r = read(buf, n, ec);
  if (ec) throw std::system_error(ec, "goro::net::conn::read");
  return r;
}

size_t conn::write(const void* buf, size_t n) {
  std::error_code ec;
  size_t r = write(buf, n, ec);
  if (ec) throw std::system_error(ec, "goro::net::conn::write");
  return r;
}

// ---- listener ------------------------------------------------------------------------------------

listener::listener(listener&& o) noexcept : fd_(o.fd_), port_(o.port_) { o.fd_ = nullptr; }

listener& listener::operator=(listener&& o) noexcept {
  if (this != &o) {
    destroy(fd_);
    fd_ = o.fd_;
    port_ = o.port_;
    o.fd_ = nullptr;
  }
  return *this;
}

listener::~listener() { destroy(fd_); }

uint16_t listener::port() const noexcept { return port_; }

void listener::close() noexcept {
  if (fd_ != nullptr) fd_close(fd_);
}

conn listener::accept(std::error_code& ec) noexcept {
  ec.clear();
  if (fd_ == nullptr || !op_begin(fd_)) {
    ec = errc::closed;
    return conn();
  }
  // A connection reset before accept4 took it (ECONNABORTED) is no error of the listener's.
  int s = static_cast<int>(retry(
      fd_, false, ec, [&] { return ssize_t(::accept4(fd_->sysfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)); },
      ECONNABORTED));
  op_end(fd_);
  if (s < 0) return conn();
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as Go's net does
  netfd* f = new_netfd(s, ec);
  return f != nullptr ? conn(f) : conn();
}

conn listener::accept() {
  std::error_code ec;
  conn c = accept(ec);
  if (ec) throw std::system_error(ec, "goro::net::listener::accept");
  return c;
}

// open_socket() parses host:port into `ss` and opens a non-blocking TCP socket of its family.
// Returns the fd, or -1 with `ec` set (invalid_argument for an address it cannot parse).
static int open_socket(const std::string& host, uint16_t port, sockaddr_storage& ss, socklen_t& len,
                std::error_code& ec) noexcept {
  ec.clear();
  if (!parse_addr(host, port, ss, len)) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return -1;
  }
  const int s = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) ec = sys_error(errno);
  return s;
}

listener listen(const std::string& host, uint16_t port, std::error_code& ec) noexcept {
  sockaddr_storage ss;
  socklen_t len;
  const int s = open_socket(host, port, ss, len, ec);
  if (s < 0) return listener();
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(s, SOMAXCONN) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    ec = sys_error(errno);
    ::close(s);
    return listener();
  }
  uint16_t bound = ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                                 : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  netfd* f = new_netfd(s, ec);
  return f != nullptr ? listener(f, bound) : listener();
}

listener listen(const std::string& host, uint16_t port) {
  std::error_code ec;
  listener l = listen(host, port, ec);
  if (ec) throw std::system_error(ec, "goro::net::listen " + host + ":" + std::to_string(port));
  return l;
}

conn connect(const std::string& host, uint16_t port, std::error_code& ec) noexcept {
  sockaddr_storage ss;
  socklen_t len;
  const int s = open_socket(host, port, ss, len, ec);
  if (s < 0) return conn();
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  netfd* f = new_netfd(s, ec);
  if (f == nullptr) return conn();
  conn c(f);
  int r = ::connect(s, reinterpret_cast<sockaddr*>(&ss), len);
  if (r == 0) return c;
  if (errno != EINPROGRESS && errno != EINTR) {
    ec = sys_error(errno);
    return conn();
  }
  // Wait for writability, then ask the socket how the handshake went; an early edge (an
  // unconnected socket reports EPOLLOUT) just loops, as Go's netFD.connect does.
  if (!op_begin(f)) {
    ec = errc::closed;
    return conn();
  }
  for (;;) {
    if (!wait(f, true, ec)) break;
    int err = 0;
    socklen_t elen = sizeof err;
    if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) err = errno;
    if (err == EINPROGRESS || err == EALREADY || err == EINTR) continue;
    if (err != 0) {
      ec = sys_error(err);
      break;
    }
    sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    if (getpeername(s, reinterpret_cast<sockaddr*>(&peer), &plen) == 0) break;
  }
  op_end(f);
  if (ec) return conn();
  return c;
}

conn connect(const std::string& host, uint16_t port) {
  std::error_code ec;
  conn c = connect(host, port, ec);
  if (ec) throw std::system_error(ec, "goro::net::connect " + host + ":" + std::to_string(port));
  return c;
}

}  // namespace goro::net
