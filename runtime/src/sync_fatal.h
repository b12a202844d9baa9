// sync_fatal.h: how channels, sync and net stop the process on misuse, with Go's messages.
#pragma once

namespace goro::detail {

// sync_panic() prints "panic: <msg>" and the calling goroutine's id to stderr and exits with
// status 2, as an unrecovered Go panic does (e.g. "send on closed channel").
[[noreturn]] void sync_panic(const char* msg) noexcept;

// sync_fatal() prints "fatal error: <msg>" and exits with status 2, as Go's runtime fatal() does
// (e.g. "sync: unlock of unlocked mutex").
[[noreturn]] void sync_fatal(const char* msg) noexcept;

}  // namespace goro::detail
