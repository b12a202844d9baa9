// clone_flags.cpp: clone flag names and verdicts.
#include "format/clone_flags.h"

#include <cstdio>
#include <cstring>

namespace ts {

namespace {

struct FlagName {
  uint64_t bit;
  const char* name;
};

// The values of <linux/sched.h>, spelled out so that names exist even where libc lacks them.
constexpr FlagName kFlags[] = {
    {0x00000080ull, "CLONE_NEWTIME"},       {0x00000100ull, "CLONE_VM"},
    {0x00000200ull, "CLONE_FS"},            {0x00000400ull, "CLONE_FILES"},
    {0x00000800ull, "CLONE_SIGHAND"},       {0x00001000ull, "CLONE_PIDFD"},
    {0x00002000ull, "CLONE_PTRACE"},        {0x00004000ull, "CLONE_VFORK"},
    {0x00008000ull, "CLONE_PARENT"},        {0x00010000ull, "CLONE_THREAD"},
    {0x00020000ull, "CLONE_NEWNS"},         {0x00040000ull, "CLONE_SYSVSEM"},
    {0x00080000ull, "CLONE_SETTLS"},        {0x00100000ull, "CLONE_PARENT_SETTID"},
    {0x00200000ull, "CLONE_CHILD_CLEARTID"}, {0x00400000ull, "CLONE_DETACHED"},
    {0x00800000ull, "CLONE_UNTRACED"},      {0x01000000ull, "CLONE_CHILD_SETTID"},
    {0x02000000ull, "CLONE_NEWCGROUP"},     {0x04000000ull, "CLONE_NEWUTS"},
    {0x08000000ull, "CLONE_NEWIPC"},        {0x10000000ull, "CLONE_NEWUSER"},
    {0x20000000ull, "CLONE_NEWPID"},        {0x40000000ull, "CLONE_NEWNET"},
    {0x80000000ull, "CLONE_IO"},            {0x100000000ull, "CLONE_CLEAR_SIGHAND"},
    {0x200000000ull, "CLONE_INTO_CGROUP"},
};

constexpr uint64_t kNewNamespaces = 0x00000080ull | 0x00020000ull | 0x02000000ull | 0x04000000ull |
                                    0x08000000ull | 0x10000000ull | 0x20000000ull | 0x40000000ull;
constexpr uint64_t kVM = 0x100, kVfork = 0x4000, kThread = 0x10000;

std::string hex_bit(uint64_t bit) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(bit));
  return buf;
}

}  // namespace

std::vector<std::string> clone_flag_names(uint64_t flags) {
  std::vector<std::string> names;
  for (int i = 0; i < 64; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    if (!(flags & bit)) continue;
    const char* name = nullptr;
    for (const FlagName& f : kFlags)
      if (f.bit == bit) name = f.name;
    names.push_back(name ? std::string(name) : hex_bit(bit));
  }
  return names;
}

std::string clone_flags_text(uint64_t flags) {
  std::string out;
  for (const std::string& n : clone_flag_names(flags)) {
    if (!out.empty()) out += '|';
    out += n;
  }
  return out.empty() ? "0" : out;
}

std::string clone_verdict(uint64_t flags, bool kernel_thread) {
  if (kernel_thread) return "kernel thread";
  if (flags & kThread) return "thread";
  if (flags & kNewNamespaces) return "process in new namespaces";
  if (flags & kVfork) return "vfork";
  if (flags & kVM) return "process sharing memory";
  return "process";
}

std::string signal_name(int sig) {
  if (sig <= 0) return "none";
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "SIG" + std::to_string(sig);
}

}  // namespace ts
