// text.h: text from other processes made safe to print, and command lines joined as ps shows them.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace ts::sys {

// printable() returns `s` as it may be written to a terminal: every byte another process chose
// (argv, a thread name set with prctl, a mapped file's name, a symbol) shown so that it can neither
// move the cursor, recolour, retitle or clear the screen, nor start a new line that looks like a
// row of ours. Kept as they are: printable ASCII and valid UTF-8 printable characters. Escaped as
// \xNN (two lower-case hex digits per byte):
//   - C0 controls 0x00-0x1f (ESC, BEL, newline, tab, ...) and DEL 0x7f;
//   - C1 controls U+0080-U+009F (their two UTF-8 bytes each: CSI is "\xc2\x9b");
//   - the bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A-U+202E,
//     U+2066-U+2069) and the line and paragraph separators U+2028, U+2029;
//   - every byte that is not part of valid UTF-8 (stray continuation bytes, overlong forms,
//     surrogates, code points above U+10FFFF, a sequence cut short).
// A backslash becomes "\\", so the output is unambiguous: every backslash in it starts "\\" or
// "\xNN", and the original bytes can be recovered. JSON output does not use this: JSON escapes
// control characters itself, and keeps the bytes exact.
std::string printable(std::string_view s);

// join_argv() joins a command line's arguments with single spaces, as ps(1) and /proc readers show
// it. This overload takes a NULL-terminated vector (libproc2's strv); a null vector is "".
std::string join_argv(const char* const* argv);

// join_argv() of the raw /proc/PID/cmdline layout: arguments separated by NUL bytes; trailing NULs
// are dropped, inner ones become spaces.
std::string join_argv(std::string_view nul_separated);

// join_argv() of arguments already split.
std::string join_argv(const std::vector<std::string>& argv);

}  // namespace ts::sys
