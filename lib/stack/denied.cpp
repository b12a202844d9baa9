// denied.cpp: the permission message; see denied.h.
#include "stack/denied.h"

#include <sys/capability.h>

#include <cstring>
#include <memory>

#include "procfs/maps_read_file.h"

namespace ts::stack {
namespace {

// yama_scope() is /proc/sys/kernel/yama/ptrace_scope's value, "" without Yama.
std::string yama_scope() {
  const FileRead f = read_proc_file("/proc/sys/kernel/yama/ptrace_scope");
  return f.ok() ? f.text.substr(0, f.text.find('\n')) : std::string();
}

std::string yama_says(const std::string& v) {
  const char* what = v == "1"   ? "only descendants may be traced without CAP_SYS_PTRACE"
                     : v == "2" ? "only CAP_SYS_PTRACE may trace"
                     : v == "3" ? "no process may be traced at all, not even by root"
                                : "unknown";
  return "/proc/sys/kernel/yama/ptrace_scope is " + v + ": " + what;
}

using Caps = std::unique_ptr<std::remove_pointer_t<cap_t>, int (*)(void*)>;

bool has(cap_t c, cap_value_t v, cap_flag_t set) {
  cap_flag_value_t on = CAP_CLEAR;
  return c && cap_get_flag(c, v, set, &on) == 0 && on == CAP_SET;
}

// missing() names the capabilities pid may use that this process may not ("cap_sys_resource").
std::string missing(int32_t pid, cap_t mine) {
  const Caps theirs(cap_get_pid(pid), cap_free);
  std::string out;
  if (!theirs) return out;
  for (cap_value_t v = 0; v <= CAP_LAST_CAP && v < static_cast<cap_value_t>(cap_max_bits()); ++v)
    if (has(theirs.get(), v, CAP_PERMITTED) && !has(mine, v, CAP_EFFECTIVE)) {
      char* name = cap_to_name(v);
      out += (out.empty() ? "" : ", ") + std::string(name ? name : std::to_string(v).c_str());
      cap_free(name);
    }
  return out;
}

}  // namespace

std::string ptrace_denied(int32_t pid, int err, const std::string& what) {
  const std::string p = std::to_string(pid);
  const char* name = strerrorname_np(err);
  const std::string said = std::string(name ? name : "error") + " (" + std::strerror(err) + ")";
  const Caps mine(cap_get_proc(), cap_free);
  const bool can = has(mine.get(), CAP_SYS_PTRACE, CAP_EFFECTIVE);
  const std::string scope = yama_scope();
  std::string msg = "cannot trace pid " + p + ": the kernel refused reading " + what + ": " + said;
  if (!can) {
    msg += "; ptrace needs root or CAP_SYS_PTRACE (or the same user, where Yama allows)";
    if (scope == "1" || scope == "2" || scope == "3") msg += "; " + yama_says(scope);
    return msg;
  }
  msg += ", although taskscope has CAP_SYS_PTRACE";
  if (const std::string m = missing(pid, mine.get()); !m.empty()) msg += "; pid " + p + " holds capabilities taskscope lacks: " + m;
  if (scope == "3") msg += "; " + yama_says(scope);
  return msg;
}

}  // namespace ts::stack
