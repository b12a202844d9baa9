// go_reader.h: the G/M/P state of an unmodified Go program, read from outside it: the second
// source of the model goro's segment feeds (lib/goro), as BPF is a second source of tasks.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>

#include "model/error.h"
#include "model/gmp.h"

struct Dwarf;

namespace ts::gort {

// is_go_program() tells whether pid's executable was built by the Go toolchain (stripped or not).
// Throws ts::Gone when pid does not exist; false when its executable cannot be read.
bool is_go_program(int32_t pid);

// NotGo is what GoProcess() throws when pid's executable was not built by the Go toolchain.
class NotGo : public Error {
 public:
  using Error::Error;
};

// GoReadOptions are knobs for tests, and what a caller has already opened.
struct GoReadOptions {
  Dwarf* exe_dwarf = nullptr;          // the executable's DWARF, when the caller has it open (libdwfl)
  std::function<void()> after_binary;  // called after the executable is read, before memory is
  int attempts = 3;                    // whole reads tried while allgs keeps moving under us
};

// read_go() reads pid's runtime state: runtime.allgs/allglen, allm, allp and sched found by
// symbol, every struct field by name from the program's DWARF (go_layout.h), memory through
// process_vm_readv without stopping the program (remote_memory.h). Every pointer and length read
// is checked against the target's mappings and sane bounds; a G record that reads as impossible
// (torn by a concurrent write) is read again and, if still impossible, counted in `torn` and left
// out; when allgs moved during the read the whole read is redone (up to `attempts`).
// The snapshot is best effort, like Go's own schedtrace: the program runs while it is read.
// Throws ts::Gone when pid does not exist or exits during the read; ts::Error with one line when it
// is not a Go program, was built without symbols or DWARF (-ldflags=-s -w: the message says what
// still works), or lacks a runtime field or symbol (the message names it and the Go version).
GoroSnapshot read_go(int32_t pid, const GoReadOptions& opt = {});

// GoProcess is one opening of a Go program for repeated reads: its executable, symbols and DWARF
// offsets are read once (inflating Go's compressed DWARF is most of a first read), its memory as
// often as read() is called. The constructor throws as read_go() does (NotGo when the executable is
// not Go's); read() throws ts::Gone when the program has exited. Memory the program maps later (a
// new heap arena) is read too (RemoteMemory re-reads its maps).
class GoProcess {
 public:
  explicit GoProcess(int32_t pid, const GoReadOptions& opt = {});
  ~GoProcess();
  GoProcess(const GoProcess&) = delete;
  GoProcess& operator=(const GoProcess&) = delete;

  // read() is one snapshot, as read_go() describes.
  GoroSnapshot read();

  struct State;

 private:
  int32_t pid_;
  int attempts_;
  std::unique_ptr<State> s_;
};

}  // namespace ts::gort
