// pid.cpp: the one pid parser.
#include "sys/pid.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>

#include "model/error.h"

namespace ts::sys {

namespace {

constexpr const char* kListHint = " (expected positive decimal pids separated by commas or blanks)";

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

}  // namespace

int32_t parse_pid(std::string_view text, std::string_view what) {
  if (text.find_first_not_of(" \t\n") == std::string_view::npos)
    throw Error(std::string(what) + ": no pid given (an empty value selects nothing: is the process running?)", 2);
  int64_t v = 0;
  bool ok = !text.empty() && text.size() <= 10;
  for (char c : text) {
    if (c < '0' || c > '9') {
      ok = false;
      break;
    }
    v = v * 10 + (c - '0');
  }
  if (!ok || v <= 0 || v > INT32_MAX)
    throw Error(std::string(what) + ": '" + std::string(text) + "' is not a pid (expected a decimal number from 1 to " +
                    std::to_string(INT32_MAX) + ")",
                2);
  return static_cast<int32_t>(v);
}

std::vector<int32_t> parse_pid_list(const std::vector<std::string>& values, std::string_view flag) {
  std::vector<int32_t> pids;
  for (const std::string& value : values) {
    bool only_blanks = true;
    for (char c : value) only_blanks = only_blanks && is_blank(c);
    if (only_blanks) continue;  // what $(pidof x) gives when x is not running: counted as empty below
    std::string_view rest = value;
    for (;;) {
      const size_t comma = rest.find(',');
      std::string_view element = rest.substr(0, comma);
      bool any = false;
      while (!element.empty()) {
        size_t b = 0;
        while (b < element.size() && is_blank(element[b])) ++b;
        size_t e = b;
        while (e < element.size() && !is_blank(element[e])) ++e;
        if (e > b) {
          any = true;
          try {
            pids.push_back(parse_pid(element.substr(b, e - b), flag));
          } catch (const Error&) {
            throw Error(std::string(flag) + ": '" + std::string(element.substr(b, e - b)) + "' is not a pid" + kListHint, 2);
          }
        }
        element.remove_prefix(e);
      }
      if (!any) throw Error(std::string(flag) + ": empty element in '" + value + "'" + kListHint, 2);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (pids.empty())
    throw Error(std::string(flag) + ": no pid given (an empty list selects nothing: is the process running?)", 2);
  return pids;
}

bool pid_alive(int32_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

uint64_t loadavg_total(std::string_view text) {
  for (int field = 0; field < 3; ++field) {  // the three load averages
    const size_t sp = text.find(' ');
    if (sp == std::string_view::npos) return 0;
    text.remove_prefix(sp + 1);
  }
  const char* p = text.data();
  const char* end = p + text.size();
  uint64_t running = 0, total = 0;
  auto r = std::from_chars(p, end, running);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != '/') return 0;
  r = std::from_chars(r.ptr + 1, end, total);
  return r.ec == std::errc() ? total : 0;
}

uint64_t task_total() {
  // Kept open for the process's life: the BPF source's completion asks every pass, and pread at
  // offset 0 generates the line afresh. Any thread may ask: the fd is set once (a function-local
  // static) and pread(2) shares no file offset.
  static const int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  char buf[128];
  const ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf, 0) : -1;
  return n > 0 ? loadavg_total(std::string_view(buf, static_cast<size_t>(n))) : 0;
}

}  // namespace ts::sys
