// output.h: standard output for the taskscope binary, with the reason a write failed kept.
#pragma once
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

namespace ts::tools {

// FdOutBuf is a buffered output streambuf over a file descriptor. When a write(2) fails the stream
// goes bad (as any ostream does) and error() keeps the errno of the first failure, so that the
// tool can say why ("No space left on device") rather than exit 0 having written nothing.
class FdOutBuf : public std::streambuf {
 public:
  // FdOutBuf() writes to `fd` (not owned, not closed).
  explicit FdOutBuf(int fd);
  ~FdOutBuf() override;
  FdOutBuf(const FdOutBuf&) = delete;
  FdOutBuf& operator=(const FdOutBuf&) = delete;

  // error() is the errno of the first failed write, 0 when every write succeeded.
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  bool drain();  // writes the buffer out; false once a write has failed
  int fd_;
  int error_ = 0;
  std::vector<char> buf_;
};

// check_output() flushes `out` and throws ts::Error (status 1) saying why when it could not be
// written: "cannot write the output: No space left on device". Subcommands that print for a long
// time (trace, gmp -i) call it after each batch; run_cli calls it when a subcommand ends.
void check_output(std::ostream& out);

}  // namespace ts::tools
