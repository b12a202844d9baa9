// clone_flags.h: clone(2) flags by name, and what a clone made, in words a learner understands.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ts {

// clone_flag_names() names every CLONE_* bit set in `flags` ("CLONE_VM", ..., clone3's
// "CLONE_CLEAR_SIGHAND", "CLONE_INTO_CGROUP", "CLONE_NEWTIME"), in bit order; a bit with no name
// is shown as hex ("0x1000000000"). `flags` is what the kernel passes to task_newtask: for legacy
// clone() it has CSIGNAL (the low byte, the exit signal) already stripped, so bit 0x80 is CLONE_NEWTIME.
std::vector<std::string> clone_flag_names(uint64_t flags);

// clone_flags_text() joins clone_flag_names() with '|'; "0" when no bit is set.
std::string clone_flags_text(uint64_t flags);

// clone_verdict() says what a clone created: "kernel thread", "thread" (CLONE_THREAD: same
// process, shared memory), "process in new namespaces" (any CLONE_NEW*), "vfork" (the parent
// sleeps until the child execs or exits), "process sharing memory" (CLONE_VM without
// CLONE_THREAD), or "process" (a fork: a copy-on-write copy of the parent).
std::string clone_verdict(uint64_t flags, bool kernel_thread);

// signal_name() is "SIGCHLD" for 17 and so on; "none" for 0 or a negative number (no signal),
// "SIG<n>" for a number with no name.
std::string signal_name(int sig);

}  // namespace ts
