// maps_parse.cpp: a bounds-checked parser of /proc/PID/maps lines.
#include "procfs/maps_parse.h"

#include <charconv>

namespace ts {

namespace {

constexpr std::string_view kDeleted = " (deleted)";

// unescape_path() undoes the one escape the kernel applies to a path in maps (seq_file_path with
// "\n"): a newline is written as the four characters \012. Nothing else is escaped, so a name that
// itself holds the text \012 cannot be told apart; it reads as a newline too.
std::string unescape_path(std::string_view p) {
  std::string out;
  out.reserve(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    if (p.compare(i, 4, "\\012") == 0) {
      out += '\n';
      i += 3;
    } else {
      out += p[i];
    }
  }
  return out;
}

// Cursor walks a line; every take_* returns false instead of running off the end.
struct Cursor {
  std::string_view s;
  size_t i = 0;

  bool take_hex(uint64_t& v) {
    const char* b = s.data() + i;
    auto [p, ec] = std::from_chars(b, s.data() + s.size(), v, 16);
    if (ec != std::errc() || p == b) return false;
    i = static_cast<size_t>(p - s.data());
    return true;
  }
  bool take_dec(uint64_t& v) {
    const char* b = s.data() + i;
    auto [p, ec] = std::from_chars(b, s.data() + s.size(), v, 10);
    if (ec != std::errc() || p == b) return false;
    i = static_cast<size_t>(p - s.data());
    return true;
  }
  bool take_char(char c) {
    if (i >= s.size() || s[i] != c) return false;
    ++i;
    return true;
  }
  bool take_word(std::string_view& w) {
    const size_t b = i;
    while (i < s.size() && s[i] != ' ') ++i;
    w = s.substr(b, i - b);
    return !w.empty();
  }
  void skip_spaces() {
    while (i < s.size() && s[i] == ' ') ++i;
  }
};

}  // namespace

std::optional<MemorySegment> parse_maps_line(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  Cursor c{line};
  MemorySegment m;
  std::string_view perms, dev;
  if (!c.take_hex(m.start) || !c.take_char('-') || !c.take_hex(m.end) || m.end < m.start) return std::nullopt;
  if (!c.take_char(' ') || !c.take_word(perms) || perms.size() != 4) return std::nullopt;
  if (!c.take_char(' ') || !c.take_hex(m.offset)) return std::nullopt;
  if (!c.take_char(' ') || !c.take_word(dev) || dev.find(':') == std::string_view::npos) return std::nullopt;
  if (!c.take_char(' ') || !c.take_dec(m.inode)) return std::nullopt;
  if (c.i < line.size() && line[c.i] != ' ') return std::nullopt;
  c.skip_spaces();
  m.perms = std::string(perms);
  m.path = unescape_path(line.substr(c.i));
  return m;
}

std::vector<MemorySegment> parse_maps(std::string_view text, size_t* skipped) {
  std::vector<MemorySegment> out;
  size_t bad = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty()) continue;
    if (auto m = parse_maps_line(line)) out.push_back(std::move(*m));
    else ++bad;
  }
  if (skipped) *skipped = bad;
  return out;
}

bool is_deleted(std::string_view path) {
  return path.size() > kDeleted.size() && path.ends_with(kDeleted);
}

std::string_view mapping_file(std::string_view path) {
  if (is_deleted(path)) path.remove_suffix(kDeleted.size());
  return path;
}

bool is_pseudo_path(std::string_view path) {
  return path.size() >= 2 && path.front() == '[' && path.back() == ']';
}

}  // namespace ts
