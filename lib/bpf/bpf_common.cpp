// bpf_common.cpp: the privilege/BTF probe and libbpf's message routing.
#include "bpf/bpf_common.h"

#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "model/error.h"

namespace ts::bpf {

namespace {

std::mutex g_log_mu;
std::string g_last_error;  // guarded by g_log_mu

int log_to_buffer(enum libbpf_print_level level, const char* fmt, va_list args) {
  static const bool debug = [] {
    const char* v = std::getenv("TASKSCOPE_BPF_DEBUG");
    return v && std::strcmp(v, "1") == 0;
  }();
  if (debug) {  // whole: a verifier log is one message of many kilobytes
    va_list whole;
    va_copy(whole, args);
    std::vfprintf(stderr, fmt, whole);
    va_end(whole);
  }
  char buf[1024];
  va_list copy;
  va_copy(copy, args);
  vsnprintf(buf, sizeof buf, fmt, copy);
  va_end(copy);
  if (level == LIBBPF_WARN) {
    std::string line(buf);
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
    if (line.rfind("libbpf: ", 0) == 0) line.erase(0, 8);  // explain_load_failure() says whose word it is
    if (!line.empty()) {
      std::lock_guard<std::mutex> lock(g_log_mu);
      g_last_error = line;
    }
  }
  return 0;
}

bool has_cap(const __user_cap_data_struct data[2], int cap) {
  return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

}  // namespace

Support probe_support() {
  Support s;
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) {
    s.why = std::string("cannot read this process's capabilities: ") + std::strerror(errno);
    return s;
  }
#ifdef CAP_BPF
  const bool bpf_perfmon = has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON);
#else
  const bool bpf_perfmon = has_cap(data, 39) && has_cap(data, 38);
#endif
  s.privileged = has_cap(data, CAP_SYS_ADMIN) || bpf_perfmon;
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    s.why = "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing); BPF needs CONFIG_DEBUG_INFO_BTF=y";
    return s;
  }
  if (!s.privileged) {
    s.why = "BPF needs root, or CAP_BPF and CAP_PERFMON (try: sudo taskscope ...)";
    return s;
  }
  s.usable = true;
  return s;
}

const char* core_btf_path() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) == 0 && has_cap(data, CAP_SYS_ADMIN)) return nullptr;
  return "/sys/kernel/btf/vmlinux";
}

uint32_t reader_pidns() {
  constexpr uint64_t kInitPidNsIno = 0xEFFFFFFCu;  // the kernel's PROC_PID_INIT_INO
  struct stat st {};
  if (stat("/proc/self/ns/pid", &st) != 0)
    throw Error(std::string("cannot tell this process's pid namespace (/proc/self/ns/pid: ") + std::strerror(errno) +
                "); is /proc mounted?");
  return st.st_ino == kInitPidNsIno ? 0 : static_cast<uint32_t>(st.st_ino);
}

void setup_libbpf() {
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(log_to_buffer); });
}

std::string last_libbpf_error() {
  std::lock_guard<std::mutex> lock(g_log_mu);
  return g_last_error;
}

std::string explain_load_failure(const std::string& what, int err) {
  std::string msg = "cannot load " + what + ": " + std::strerror(err < 0 ? -err : err);
  const std::string last = last_libbpf_error();
  if (!last.empty()) msg += " (libbpf: " + last + ")";
  return msg;
}

}  // namespace ts::bpf
