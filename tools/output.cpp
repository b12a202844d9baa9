// output.cpp: a streambuf that remembers why a write failed.
#include "output.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "model/error.h"

namespace ts::tools {

namespace {
constexpr size_t kBufSize = 64 << 10;
}

FdOutBuf::FdOutBuf(int fd) : fd_(fd), buf_(kBufSize) { setp(buf_.data(), buf_.data() + buf_.size()); }

FdOutBuf::~FdOutBuf() { drain(); }

bool FdOutBuf::drain() {
  const char* p = pbase();
  size_t left = static_cast<size_t>(pptr() - pbase());
  while (left > 0 && error_ == 0) {
    const ssize_t n = write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = errno;
      break;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  setp(buf_.data(), buf_.data() + buf_.size());  // what could not be written is dropped
  return error_ == 0;
}

FdOutBuf::int_type FdOutBuf::overflow(int_type c) {
  if (!drain()) return traits_type::eof();
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
  }
  return traits_type::not_eof(c);
}

std::streamsize FdOutBuf::xsputn(const char* s, std::streamsize n) {
  std::streamsize done = 0;
  while (done < n) {
    if (pptr() == epptr() && !drain()) return done;
    const std::streamsize room = epptr() - pptr();
    const std::streamsize take = std::min(room, n - done);
    std::memcpy(pptr(), s + done, static_cast<size_t>(take));
    pbump(static_cast<int>(take));
    done += take;
  }
  return done;
}

int FdOutBuf::sync() { return drain() ? 0 : -1; }

void check_output(std::ostream& out) {
  out.flush();
  if (out) return;
  const auto* fd_buf = dynamic_cast<const FdOutBuf*>(out.rdbuf());
  const int err = fd_buf ? fd_buf->error() : 0;
  throw Error(std::string("cannot write the output") + (err ? std::string(": ") + std::strerror(err) : ""));
}

}  // namespace ts::tools
