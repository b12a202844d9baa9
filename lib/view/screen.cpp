// screen.cpp: cell widths, fitting, and sanitizing for the screen model.
#include "view/screen.h"

#include <cstdio>

#include "format/table.h"
#include "sys/text.h"

namespace ts::view {

namespace {

// prefix_bytes() is how many bytes of `s` its first `cells` code points take.
size_t prefix_bytes(std::string_view s, int cells) {
  size_t i = 0;
  int n = 0;
  while (i < s.size()) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (n == cells) break;
      ++n;
    }
    ++i;
  }
  return i;
}

}  // namespace

int Line::width() const {
  int w = 0;
  for (const Span& s : spans) w += cell_width(s.text);
  return w;
}

std::string Line::text() const {
  std::string t;
  for (const Span& s : spans) t += s.text;
  return t;
}

int cell_width(std::string_view s) { return static_cast<int>(display_width(s)); }

std::string fit(std::string_view s, int width, bool right) {
  if (width <= 0) return {};
  std::string out(s.substr(0, prefix_bytes(s, width)));
  const int pad = width - cell_width(out);
  if (pad > 0) {
    if (right) out.insert(0, static_cast<size_t>(pad), ' ');
    else out.append(static_cast<size_t>(pad), ' ');
  }
  return out;
}

std::string safe_text(std::string_view s, bool utf8) {
  std::string p = sys::printable(s);
  if (utf8) return p;
  std::string out;
  out.reserve(p.size());
  for (unsigned char c : p) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

void clip(Line& line, int width) {
  int used = 0;
  for (size_t i = 0; i < line.spans.size(); ++i) {
    const int w = cell_width(line.spans[i].text);
    if (used + w <= width) {
      used += w;
      continue;
    }
    std::string& t = line.spans[i].text;
    t.resize(prefix_bytes(t, width - used));
    line.spans.resize(i + 1);
    return;
  }
}

}  // namespace ts::view
