// terminal.h: Terminal, the ncurses side of `taskscope top`: it owns the terminal from construction
// to destruction (and gives it back on every exit path: q, SIGTERM, SIGINT, a crash signal), draws
// a Screen computed by lib/view (styles to colours, or to attributes on monochrome terminals and
// under NO_COLOR), and decodes keys and mouse clicks into view::Key.
#pragma once
#include "view/keys.h"
#include "view/screen.h"

namespace ts::tools::top {

// Terminal is the one full-screen session. Construct at most one at a time.
class Terminal {
 public:
  // Terminal() sets the locale, starts ncurses on the controlling terminal (keys without echo,
  // keypad, mouse clicks, no cursor), picks colours (none when NO_COLOR is set or the terminal
  // has none) and installs the handlers that restore the terminal if the process crashes.
  // Throws ts::Error when the terminal cannot be used.
  Terminal();
  // ~Terminal() restores the terminal as it was.
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  // options() is the terminal now: size and whether it shows UTF-8.
  view::ScreenOptions options() const;
  // draw() puts the screen on the terminal (only what changed is sent).
  void draw(const view::Screen& s);
  // read_key() decodes the next waiting key into `k`; false when none is waiting. A resize
  // becomes KeyKind::None with resized() true.
  bool read_key(view::Key& k);
  // resized() tells (once) whether the terminal changed size since the last call.
  bool resized();
  // color() tells whether colours are used.
  bool color() const { return color_; }

 private:
  bool utf8_ = true;
  bool color_ = false;
  bool resized_ = false;
};

// stop_signal_fd() is the read end of a pipe that receives one byte, the signal's number, when
// SIGINT, SIGTERM or SIGHUP arrives (installed by install_stop_signals()); -1 before.
int stop_signal_fd();

// install_stop_signals() installs the handlers behind stop_signal_fd().
void install_stop_signals();

}  // namespace ts::tools::top
