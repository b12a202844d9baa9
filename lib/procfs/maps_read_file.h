// maps_read_file.h: reading a whole /proc file, keeping the errno that says why it failed.
#pragma once
#include <string>

namespace ts {

// FileRead is a file's text, or the errno of the failure (ENOENT/ESRCH: the process is gone;
// EACCES/EPERM: needs root or CAP_SYS_PTRACE).
struct FileRead {
  std::string text;  // the contents when error == 0
  int error = 0;     // errno of the open or read that failed; 0 on success

  // ok() tells whether the file was read.
  bool ok() const { return error == 0; }
};

// read_proc_file() reads `path` to its end (proc files have no useful st_size). Never throws for
// I/O errors; a read that fails part-way (the process exited) returns that error.
FileRead read_proc_file(const std::string& path);

// is_gone_errno() tells whether an errno means the process or thread no longer exists.
bool is_gone_errno(int e);

// is_denied_errno() tells whether an errno means the reader lacks ptrace access.
bool is_denied_errno(int e);

}  // namespace ts
