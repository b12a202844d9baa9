// net.h: goro::net, TCP on the netpoller: a G waiting for the network parks in "IO wait" and its
// M runs other Gs meanwhile (Go's net package over internal/poll).
//
//   auto ln = goro::net::listen("127.0.0.1", 7777);
//   for (;;) {
//     goro::net::conn c = ln.accept();
//     goro::go([c = std::move(c)]() mutable {
//       char buf[4096]; std::error_code ec;
//       while (size_t n = c.read(buf, sizeof buf, ec)) c.write(buf, n, ec);
//     });
//   }
//
// Errors: every operation has two forms. The one taking a std::error_code& never throws: it sets
// ec (errno values in std::system_category(), or goro::net::errc::closed) and returns 0 / an empty
// object. The one without throws std::system_error carrying the same code. End of stream is a read
// of 0 bytes with no error. Sockets are non-blocking and close-on-exec.
// Concurrency: one G may read while another writes; close() from any G wakes both, and their
// calls then fail with errc::closed. Destroying a conn/listener while a G still uses it is a bug.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <string>
#include <system_error>

namespace goro::net {

namespace detail {
struct netfd;
}

// errc are goro::net's own error conditions (category goro_net_category()).
enum class errc { closed = 1 };  // closed: "use of closed network connection" (Go's net.ErrClosed)
// net_category() is the category of errc codes.
const std::error_category& net_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), net_category()}; }

// conn is a connected TCP socket (Go's net.Conn). Move-only; closes on destruction.
class conn {
 public:
  conn() noexcept = default;
  conn(conn&& o) noexcept;
  conn& operator=(conn&& o) noexcept;
  ~conn();

  // read() reads up to n bytes into buf, parking while none are available. Returns how many;
  // 0 with no error at end of stream.
  size_t read(void* buf, size_t n, std::error_code& ec) noexcept;
  size_t read(void* buf, size_t n);
  // write() writes all n bytes (parking while the socket buffer is full) and returns n, or how
  // many were written before an error.
  size_t write(const void* buf, size_t n, std::error_code& ec) noexcept;
  size_t write(const void* buf, size_t n);
  // close() closes the connection (idempotent); Gs blocked in read/write on it return errc::closed.
  void close() noexcept;
  // fd() is the socket's descriptor (-1 for an empty conn); valid until close().
  int fd() const noexcept;
  explicit operator bool() const noexcept { return fd_ != nullptr; }

 private:
  friend class listener;
  friend conn connect(const std::string&, uint16_t, std::error_code&) noexcept;
  explicit conn(detail::netfd* f) noexcept : fd_(f) {}
  detail::netfd* fd_ = nullptr;
};

// listener is a listening TCP socket (Go's net.Listener). Move-only; closes on destruction.
class listener {
 public:
  listener() noexcept = default;
  listener(listener&& o) noexcept;
  listener& operator=(listener&& o) noexcept;
  ~listener();

  // accept() waits for and returns the next connection.
  conn accept(std::error_code& ec) noexcept;
  conn accept();
  // port() is the bound port (useful after listen(host, 0)).
  uint16_t port() const noexcept;
  // close() stops listening; a G blocked in accept() returns errc::closed.
  void close() noexcept;
  explicit operator bool() const noexcept { return fd_ != nullptr; }

 private:
  friend listener listen(const std::string&, uint16_t, std::error_code&) noexcept;
  explicit listener(detail::netfd* f, uint16_t port) noexcept : fd_(f), port_(port) {}
  detail::netfd* fd_ = nullptr;
  uint16_t port_ = 0;
};

// listen() listens on host:port. host is a numeric IPv4 or IPv6 address or "localhost"
// (127.0.0.1); "" or "0.0.0.0" means every IPv4 address; port 0 picks a free port. SO_REUSEADDR.
listener listen(const std::string& host, uint16_t port, std::error_code& ec) noexcept;
listener listen(const std::string& host, uint16_t port);

// connect() opens a TCP connection to host:port (host as for listen()), parking the G until the
// handshake completes.
conn connect(const std::string& host, uint16_t port, std::error_code& ec) noexcept;
conn connect(const std::string& host, uint16_t port);

}  // namespace goro::net

template <>
struct std::is_error_code_enum<goro::net::errc> : std::true_type {};
