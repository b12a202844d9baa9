// error.h: Error, the one exception type the library throws for failures a user must see.
#pragma once
#include <stdexcept>
#include <string>

namespace ts {

// Error carries a one-line message for the user (without the "taskscope: " prefix)
// and the exit status the tool should end with (1 failure, 2 usage).
class Error : public std::runtime_error {
 public:
  // Error() makes an error with `msg` and exit status `status`.
  explicit Error(const std::string& msg, int status = 1) : std::runtime_error(msg), status_(status) {}
  // status() is the exit status to use.
  int status() const { return status_; }

 private:
  int status_;
};

// Gone is the Error a reader throws when the process it reads does not exist or exited while being
// read (or, for goro, publishes no segment): to a watcher that has read it before, the program ended.
class Gone : public Error {
 public:
  using Error::Error;
};

}  // namespace ts
