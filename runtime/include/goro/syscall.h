// syscall.h: run a blocking system call (or any blocking call) without stalling the other Gs.
#pragma once
#include <utility>

namespace goro {

namespace detail {
// entersyscall() marks the calling G "syscall" and its P "syscall": sysmon may hand the P to
// another M when the call lasts more than ~20 us (Go's handoffp). No-op outside a G.
void entersyscall();
// exitsyscall() reacquires the old P if it is still free, else any idle P, else queues the G on
// the global run queue and parks the M. No-op outside a G.
void exitsyscall();
}  // namespace detail

// syscall() calls fn() between entersyscall and exitsyscall and returns what fn returns:
//   ssize_t n = goro::syscall([&] { return ::read(fd, buf, len); });
// fn must not call back into the goro runtime (no go/yield/park/channel ops): it runs without a P.
template <class F>
decltype(auto) syscall(F&& fn) {
  struct Exit {
    ~Exit() { detail::exitsyscall(); }
  };
  detail::entersyscall();
  Exit on_return;
  return std::forward<F>(fn)();
}

}  // namespace goro
