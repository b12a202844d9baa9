// text_test.cpp: the one sanitizer (what reaches a terminal) and argv joining.
#include <catch2/catch.hpp>

#include <string>

#include "sys/text.h"

using ts::sys::join_argv;
using ts::sys::printable;

TEST_CASE("printable escapes C0 controls and DEL as \\xNN and keeps printable ASCII", "[sys][text]") {
  CHECK(printable("plain text, (parens) [brackets] ~!") == "plain text, (parens) [brackets] ~!");
  CHECK(printable("\x1b[2J\x1b]0;pwned\x07") == "\\x1b[2J\\x1b]0;pwned\\x07");
  CHECK(printable("row\nFAKE 1 2") == "row\\x0aFAKE 1 2");
  CHECK(printable("a\tb\rc") == "a\\x09b\\x0dc");
  CHECK(printable(std::string("nul\0byte", 8)) == "nul\\x00byte");
  CHECK(printable("del\x7f") == "del\\x7f");
}

TEST_CASE("printable escapes a backslash, so its output is unambiguous", "[sys][text]") {
  CHECK(printable("C:\\x1b") == "C:\\\\x1b");     // a literal backslash-x is not an escape
  CHECK(printable("\x1b") != printable("\\x1b"));  // the byte and its spelling differ
}

TEST_CASE("printable keeps valid UTF-8 and escapes C1 controls, invisible reorderings and invalid bytes",
          "[sys][text]") {
  CHECK(printable("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
  CHECK(printable("\xc2\x9b" "31m") == "\\xc2\\x9b31m");                 // CSI, the 8-bit ESC [
  CHECK(printable("\xc2\x85") == "\\xc2\\x85");                          // NEL
  CHECK(printable("\xe2\x80\xae" "txt.exe") == "\\xe2\\x80\\xaetxt.exe");  // RIGHT-TO-LEFT OVERRIDE
  CHECK(printable("\xe2\x80\xa8") == "\\xe2\\x80\\xa8");                  // LINE SEPARATOR
  CHECK(printable("\xff\xfe") == "\\xff\\xfe");                           // never valid
  CHECK(printable("\x80") == "\\x80");                                   // stray continuation
  CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");                           // overlong '/'
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");                   // a surrogate
  CHECK(printable("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");           // above U+10FFFF
  CHECK(printable("\xe6\x97") == "\\xe6\\x97");                           // cut short at the end
  CHECK(printable("\xe6\x97x") == "\\xe6\\x97x");                         // cut short mid-string
}

TEST_CASE("printable output never holds a control byte, whatever the input", "[sys][text]") {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  for (int b = 0xc2; b <= 0xf4; ++b) all += std::string{static_cast<char>(b), '\x80', '\x9b'};
  const std::string out = printable(all);
  for (unsigned char c : out) CHECK((c >= 0x20 && c != 0x7f));
  CHECK(out.find("\xc2\x9b") == std::string::npos);
}

TEST_CASE("join_argv joins with single spaces from each layout", "[sys][text]") {
  const char* argv[] = {"/bin/echo", "a b", "", "c", nullptr};
  CHECK(join_argv(argv) == "/bin/echo a b  c");
  CHECK(join_argv(static_cast<const char* const*>(nullptr)).empty());
  CHECK(join_argv(std::string_view("/bin/echo\0a b\0\0c\0\0", 18)) == "/bin/echo a b  c");
  CHECK(join_argv(std::vector<std::string>{"/bin/echo", "a b", "", "c"}) == "/bin/echo a b  c");
  CHECK(join_argv(std::string_view()).empty());
}
