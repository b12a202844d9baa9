// denied.h: what to tell a user when the kernel refuses to let taskscope read a process's threads.
#pragma once
#include <cstdint>
#include <string>

namespace ts::stack {

// ptrace_denied() is the one-line message for the kernel refusing access to pid (`err`, e.g. EPERM,
// from reading `what`, a /proc file that needs ptrace access). It says what the kernel said; when
// taskscope lacks CAP_SYS_PTRACE, that ptrace needs root or it; when it has it (root), that the
// refusal came anyway, and which capabilities the target holds that taskscope does not. Yama's
// ptrace_scope is named only where it can be the reason (1 or 2 without CAP_SYS_PTRACE, 3 always).
std::string ptrace_denied(int32_t pid, int err, const std::string& what);

}  // namespace ts::stack
