// text.cpp: the one text sanitizer, and argv joining.
#include "sys/text.h"

#include <cstdint>

namespace ts::sys {

namespace {

void escape_byte(std::string& out, unsigned char b) {
  static const char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[b >> 4];
  out += kHex[b & 0xf];
}

bool is_cont(unsigned char b) { return (b & 0xc0) == 0x80; }

// utf8_length() is the length of the valid UTF-8 sequence at s[i] (which is >= 0x80) and its code
// point, or 0 when the bytes there are not valid UTF-8 (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF).
size_t utf8_length(std::string_view s, size_t i, uint32_t& cp) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char b0 = at(0);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) n = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) n = 3, lo = b0 == 0xe0 ? 0xa0 : 0x80, hi = b0 == 0xed ? 0x9f : 0xbf;
  else if (b0 >= 0xf0 && b0 <= 0xf4) n = 4, lo = b0 == 0xf0 ? 0x90 : 0x80, hi = b0 == 0xf4 ? 0x8f : 0xbf;
  else return 0;
  if (i + n > s.size()) return 0;
  if (at(1) < lo || at(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (!is_cont(at(k))) return 0;
  cp = n == 2 ? b0 & 0x1f : n == 3 ? b0 & 0x0f : b0 & 0x07;
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (at(k) & 0x3f);
  return n;
}

// invisible() tells whether a valid non-ASCII code point must still be escaped: C1 controls, and
// the characters that reorder or break lines on a terminal without being seen.
bool invisible(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f || cp == 0x2028 ||
         cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    if (b >= 0x20 && b < 0x7f) {
      if (b == '\\') out += '\\';
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t n = b >= 0x80 ? utf8_length(s, i, cp) : 0;
    if (n == 0) {
      escape_byte(out, b);
      ++i;
      continue;
    }
    if (invisible(cp)) {
      for (size_t k = 0; k < n; ++k) escape_byte(out, static_cast<unsigned char>(s[i + k]));
    } else {
      out.append(s, i, n);
    }
    i += n;
  }
  return out;
}

std::string join_argv(const char* const* argv) {
  std::string out;
  for (const char* const* a = argv; a && *a; ++a) {
    if (a != argv) out += ' ';
    out += *a;
  }
  return out;
}

std::string join_argv(std::string_view raw) {
  while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  std::string s(raw);
  for (char& c : s)
    if (c == '\0') c = ' ';
  return s;
}

std::string join_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i) out += ' ';
    out += argv[i];
  }
  return out;
}

}  // namespace ts::sys
