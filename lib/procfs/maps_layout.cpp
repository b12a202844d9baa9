// maps_layout.cpp: the address layout fields of /proc/PID/stat.
#include "procfs/maps_layout.h"

#include <libproc2/pids.h>

#include <charconv>
#include <string>
#include <vector>

#include "procfs/maps_read_file.h"

namespace ts {

namespace {

// PidsInfo owns a libproc2 pids_info handle.
struct PidsInfo {
  pids_info* info = nullptr;
  ~PidsInfo() {
    if (info) procps_pids_unref(&info);
  }
};

}  // namespace

std::optional<AddressLayout> parse_stat_layout(std::string_view stat) {
  const size_t rp = stat.rfind(')');
  if (rp == std::string_view::npos) return std::nullopt;
  std::string_view rest = stat.substr(rp + 1);
  // fields[0] is field 3 (state); field n is fields[n - 3].
  std::vector<std::string_view> fields;
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n')) rest.remove_prefix(1);
    size_t n = 0;
    while (n < rest.size() && rest[n] != ' ' && rest[n] != '\n') ++n;
    if (n) fields.push_back(rest.substr(0, n));
    rest.remove_prefix(n);
  }
  if (fields.size() < 47 - 2) return std::nullopt;
  auto field = [&](int n, uint64_t& out) {
    const std::string_view f = fields[static_cast<size_t>(n - 3)];
    auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), out);
    return ec == std::errc() && p == f.data() + f.size();
  };
  AddressLayout l;
  if (!field(26, l.start_code) || !field(27, l.end_code) || !field(28, l.start_stack) ||
      !field(45, l.start_data) || !field(46, l.end_data) || !field(47, l.start_brk))
    return std::nullopt;
  return l;
}

std::optional<AddressLayout> read_layout(pid_t pid) {
  const FileRead stat = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return std::nullopt;
  std::optional<AddressLayout> l = parse_stat_layout(stat.text);
  if (!l) return std::nullopt;
  enum pids_item items[] = {PIDS_ADDR_CODE_START, PIDS_ADDR_CODE_END, PIDS_ADDR_STACK_START};
  PidsInfo pi;
  if (procps_pids_new(&pi.info, items, 3) < 0) return l;
  unsigned these = static_cast<unsigned>(pid);
  pids_fetch* f = procps_pids_select(pi.info, &these, 1, PIDS_SELECT_PID);
  if (!f || !f->counts || f->counts->total < 1 || !f->stacks || !f->stacks[0]) return std::nullopt;
  l->start_code = PIDS_VAL(0, ul_int, f->stacks[0], pi.info);
  l->end_code = PIDS_VAL(1, ul_int, f->stacks[0], pi.info);
  l->start_stack = PIDS_VAL(2, ul_int, f->stacks[0], pi.info);
  return l;
}

}  // namespace ts
