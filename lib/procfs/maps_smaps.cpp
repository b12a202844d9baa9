// maps_smaps.cpp: parsing smaps and smaps_rollup ("Key:   N kB" lines under maps-style headers).
#include "procfs/maps_smaps.h"

#include <charconv>
#include <optional>

#include "procfs/maps_parse.h"

namespace ts {

namespace {

// kb_value() parses "Key:   1234 kB" when the line's key is `key`; nullopt otherwise.
std::optional<int64_t> kb_value(std::string_view line, std::string_view key) {
  if (line.size() <= key.size() || !line.starts_with(key) || line[key.size()] != ':') return std::nullopt;
  line.remove_prefix(key.size() + 1);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
  if (ec != std::errc() || v < 0 || v > (INT64_MAX >> 10)) return std::nullopt;
  return v * 1024;
}

// for_each_line() calls f on each line of text, without its newline.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    f(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
}

}  // namespace

std::vector<SmapsEntry> parse_smaps(std::string_view text) {
  std::vector<SmapsEntry> out;
  for_each_line(text, [&](std::string_view line) {
    if (line.empty()) return;
    // Header lines start with a hex address; field lines with a capitalised key and a colon.
    const size_t colon = line.find(':');
    const size_t space = line.find(' ');
    const bool field = colon != std::string_view::npos && (space == std::string_view::npos || colon < space);
    if (!field) {
      if (auto m = parse_maps_line(line)) out.push_back(SmapsEntry{m->start, m->end, -1, -1, -1});
      return;
    }
    if (out.empty()) return;
    if (auto v = kb_value(line, "Rss")) out.back().rss = *v;
    else if (auto p = kb_value(line, "Pss")) out.back().pss = *p;
    else if (auto w = kb_value(line, "Swap")) out.back().swap = *w;
  });
  return out;
}

SmapsRollup parse_smaps_rollup(std::string_view text) {
  SmapsRollup r;
  for_each_line(text, [&](std::string_view line) {
    if (auto v = kb_value(line, "Rss")) r.rss = *v;
    else if (auto v = kb_value(line, "Pss")) r.pss = *v;
    else if (auto v = kb_value(line, "Pss_Anon")) r.pss_anon = *v;
    else if (auto v = kb_value(line, "Pss_File")) r.pss_file = *v;
    else if (auto v = kb_value(line, "Swap")) r.swap = *v;
  });
  return r;
}

void apply_smaps(std::vector<MemorySegment>& segs, const std::vector<SmapsEntry>& entries) {
  size_t j = 0;
  for (MemorySegment& s : segs) {
    while (j < entries.size() && entries[j].start < s.start) ++j;
    if (j < entries.size() && entries[j].start == s.start && entries[j].end == s.end) {
      s.rss_bytes = entries[j].rss;
      s.pss_bytes = entries[j].pss;
      s.swap_bytes = entries[j].swap;
    }
  }
}

}  // namespace ts
