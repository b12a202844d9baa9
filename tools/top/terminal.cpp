// terminal.cpp: ncurses setup and restore, colours, drawing spans, decoding keys.
#include "terminal.h"

#include <fcntl.h>
#include <langinfo.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <clocale>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <string>

#include "model/error.h"

#define NCURSES_NOMACROS 1
#define NCURSES_WIDECHAR 1
#include <ncursesw/curses.h>

namespace ts::tools::top {

namespace {

using view::Style;

// What a crash handler writes to give the terminal back: it may not call ncurses (not
// async-signal-safe), so the sequences are taken from terminfo at start.
char g_restore[512];
size_t g_restore_len = 0;
struct termios g_saved_termios;
bool g_have_termios = false;
int g_stop_pipe[2] = {-1, -1};

void append_cap(const char* name) {
  const char* s = tigetstr(const_cast<char*>(name));
  if (!s || s == reinterpret_cast<char*>(-1)) return;
  const size_t n = std::strlen(s);
  if (g_restore_len + n >= sizeof g_restore) return;
  std::memcpy(g_restore + g_restore_len, s, n);
  g_restore_len += n;
}

void on_crash(int sig) {
  // Mouse reporting off, attributes off, cursor on, the normal screen back, then the modes.
  static const char mouse_off[] = "\033[?1000l\033[?1002l\033[?1006l";
  ssize_t r = write(STDOUT_FILENO, mouse_off, sizeof mouse_off - 1);
  r = write(STDOUT_FILENO, g_restore, g_restore_len);
  (void)r;
  if (g_have_termios) tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  signal(sig, SIG_DFL);
  raise(sig);
}

void on_stop(int sig) {
  const unsigned char b = static_cast<unsigned char>(sig);
  ssize_t r = write(g_stop_pipe[1], &b, 1);
  (void)r;
}

// The colour pairs, by number.
enum Pair : short {
  kHeader = 1, kSelected, kTagged, kDying, kThread, kGoro, kGreen, kBlue, kRed, kYellow, kMagenta, kCyan, kDim,
  kFKey, kFKeyLabel, kWarning, kTitle, kPrompt,
};

attr_t color_attr(Style s) {
  switch (s) {
    case Style::Normal: return A_NORMAL;
    case Style::Dim: return COLOR_PAIR(kDim) | A_BOLD;
    case Style::Title: return COLOR_PAIR(kTitle) | A_BOLD;
    case Style::Label: return COLOR_PAIR(kCyan);
    case Style::Value: return A_BOLD;
    case Style::Warning: return COLOR_PAIR(kWarning) | A_BOLD;
    case Style::Header: return COLOR_PAIR(kHeader);
    case Style::HeaderSorted: return COLOR_PAIR(kSelected) | A_BOLD;
    case Style::Selected: return COLOR_PAIR(kSelected);
    case Style::Tagged: return COLOR_PAIR(kTagged) | A_BOLD;
    case Style::Dying: return COLOR_PAIR(kDying);
    case Style::Thread: return COLOR_PAIR(kThread);
    case Style::Goro: return COLOR_PAIR(kGoro) | A_BOLD;
    case Style::MeterUser: return COLOR_PAIR(kGreen);
    case Style::MeterNice: return COLOR_PAIR(kBlue) | A_BOLD;
    case Style::MeterSystem: return COLOR_PAIR(kRed);
    case Style::MeterIrq: return COLOR_PAIR(kYellow);
    case Style::MeterSoftirq: return COLOR_PAIR(kMagenta);
    case Style::MeterSteal: return COLOR_PAIR(kCyan);
    case Style::MeterGuest: return COLOR_PAIR(kCyan) | A_BOLD;
    case Style::MeterIowait: return COLOR_PAIR(kDim) | A_BOLD;
    case Style::MemUsed: return COLOR_PAIR(kGreen);
    case Style::MemBuffers: return COLOR_PAIR(kBlue) | A_BOLD;
    case Style::MemCache: return COLOR_PAIR(kYellow);
    case Style::SwapUsed: return COLOR_PAIR(kRed);
    case Style::Chart: return COLOR_PAIR(kGreen);
    case Style::ChartAlt: return COLOR_PAIR(kCyan);
    case Style::FKey: return A_NORMAL;
    case Style::FKeyLabel: return COLOR_PAIR(kFKeyLabel);
    case Style::Prompt: return COLOR_PAIR(kPrompt);
  }
  return A_NORMAL;
}

// mono_attr() is the style on a terminal without colours (or NO_COLOR): attributes only.
attr_t mono_attr(Style s) {
  switch (s) {
    case Style::Title: case Style::Value: case Style::Warning: case Style::Goro: case Style::Tagged: return A_BOLD;
    case Style::Header: case Style::FKeyLabel: case Style::Prompt: return A_REVERSE;
    case Style::HeaderSorted: case Style::Selected: return A_REVERSE | A_BOLD;
    case Style::Dim: case Style::Dying: return A_DIM;
    case Style::Thread: case Style::Label: return A_NORMAL;
    default: return A_NORMAL;
  }
}

}  // namespace

int stop_signal_fd() { return g_stop_pipe[0]; }

void install_stop_signals() {
  if (g_stop_pipe[0] < 0) {
    if (pipe2(g_stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) throw Error("cannot create a pipe for signals");
  }
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &sa, nullptr);
}

Terminal::Terminal() {
  std::setlocale(LC_ALL, "");
  utf8_ = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  if (tcgetattr(STDIN_FILENO, &g_saved_termios) == 0) g_have_termios = true;
  if (!initscr()) throw Error("cannot start the terminal (is TERM set?)");
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, nullptr);
  mouseinterval(0);
  const char* nc = std::getenv("NO_COLOR");
  color_ = has_colors() && !(nc && *nc);
  if (color_) {
    start_color();
    use_default_colors();
    init_pair(kHeader, COLOR_BLACK, COLOR_GREEN);
    init_pair(kSelected, COLOR_BLACK, COLOR_CYAN);
    init_pair(kTagged, COLOR_YELLOW, -1);
    init_pair(kDying, COLOR_RED, -1);
    init_pair(kThread, COLOR_CYAN, -1);
    init_pair(kGoro, COLOR_MAGENTA, -1);
    init_pair(kGreen, COLOR_GREEN, -1);
    init_pair(kBlue, COLOR_BLUE, -1);
    init_pair(kRed, COLOR_RED, -1);
    init_pair(kYellow, COLOR_YELLOW, -1);
    init_pair(kMagenta, COLOR_MAGENTA, -1);
    init_pair(kCyan, COLOR_CYAN, -1);
    init_pair(kDim, COLOR_BLACK, -1);
    init_pair(kFKey, -1, -1);
    init_pair(kFKeyLabel, COLOR_BLACK, COLOR_CYAN);
    init_pair(kWarning, COLOR_RED, -1);
    init_pair(kTitle, COLOR_CYAN, -1);
    init_pair(kPrompt, COLOR_BLACK, COLOR_YELLOW);
  }
  g_restore_len = 0;
  for (const char* cap : {"sgr0", "cnorm", "rmkx", "rmcup"}) append_cap(cap);
  struct sigaction sa {};
  sa.sa_handler = on_crash;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  for (int s : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGQUIT}) sigaction(s, &sa, nullptr);
}

Terminal::~Terminal() {
  mousemask(0, nullptr);
  endwin();
  for (int s : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGQUIT}) signal(s, SIG_DFL);
}

view::ScreenOptions Terminal::options() const {
  int h = 0, w = 0;
  getmaxyx(stdscr, h, w);
  return view::ScreenOptions{w, h, utf8_};
}

void Terminal::draw(const view::Screen& s) {
  werase(stdscr);
  int H = 0, W = 0;
  getmaxyx(stdscr, H, W);
  for (int y = 0; y < H && y < static_cast<int>(s.lines.size()); ++y) {
    const view::Line& line = s.lines[size_t(y)];
    int x = 0;
    wmove(stdscr, y, 0);
    for (const view::Span& sp : line.spans) {
      wattrset(stdscr, static_cast<int>(color_ ? color_attr(sp.style) : mono_attr(sp.style)));
      std::mbstate_t st{};
      const char* p = sp.text.data();
      const char* end = p + sp.text.size();
      while (p < end && x < W) {
        wchar_t wc = 0;
        size_t n = utf8_ ? std::mbrtowc(&wc, p, static_cast<size_t>(end - p), &st) : 1;
        if (!utf8_) wc = static_cast<unsigned char>(*p);
        if (n == 0 || n == static_cast<size_t>(-1) || n == static_cast<size_t>(-2)) {
          wc = L'?';  // cannot happen for sanitized text; never send a raw byte
          n = 1;
          st = std::mbstate_t{};
        }
        int cw = utf8_ ? wcwidth(wc) : 1;
        if (cw < 0) wc = L'?', cw = 1;
        if (x + cw > W) break;
        if (!(y == H - 1 && x + cw >= W)) {  // the bottom-right cell would scroll some terminals
          if (utf8_) {
            const wchar_t one[2] = {wc, 0};
            waddnwstr(stdscr, one, 1);
          } else {
            waddch(stdscr, static_cast<chtype>(wc < 0x80 && wc >= 0x20 ? wc : '?'));
          }
        }
        x += cw;
        p += n;
      }
    }
    if (line.fill != Style::Normal) {
      wattrset(stdscr, static_cast<int>(color_ ? color_attr(line.fill) : mono_attr(line.fill)));
      for (; x < W - (y == H - 1 ? 1 : 0); ++x) waddch(stdscr, ' ');
    }
  }
  wattrset(stdscr, A_NORMAL);
  wnoutrefresh(stdscr);
  doupdate();
}

bool Terminal::read_key(view::Key& k) {
  wint_t ch = 0;
  const int r = wget_wch(stdscr, &ch);
  if (r == ERR) return false;
  using view::Key;
  using view::KeyKind;
  k = Key::of(KeyKind::None);
  if (r == KEY_CODE_YES) {
    switch (ch) {
      case KEY_UP: k = Key::of(KeyKind::Up); break;
      case KEY_DOWN: k = Key::of(KeyKind::Down); break;
      case KEY_LEFT: k = Key::of(KeyKind::Left); break;
      case KEY_RIGHT: k = Key::of(KeyKind::Right); break;
      case KEY_PPAGE: k = Key::of(KeyKind::PageUp); break;
      case KEY_NPAGE: k = Key::of(KeyKind::PageDown); break;
      case KEY_HOME: case KEY_A1: k = Key::of(KeyKind::Home); break;
      case KEY_END: case KEY_C1: k = Key::of(KeyKind::End); break;
      case KEY_ENTER: k = Key::of(KeyKind::Enter); break;
      case KEY_BACKSPACE: k = Key::of(KeyKind::Backspace); break;
      case KEY_DC: k = Key::of(KeyKind::Delete); break;
      case KEY_RESIZE: resized_ = true; break;
      case KEY_MOUSE: {
        MEVENT ev{};
        if (getmouse(&ev) != OK) break;
        if (ev.bstate & BUTTON1_PRESSED) k = Key::click(ev.x, ev.y);
        else if (ev.bstate & BUTTON4_PRESSED) k = Key::of(KeyKind::WheelUp);
        else if (ev.bstate & BUTTON5_PRESSED) k = Key::of(KeyKind::WheelDown);
        break;
      }
      default:
        if (ch >= static_cast<wint_t>(KEY_F(1)) && ch <= static_cast<wint_t>(KEY_F(12))) k = Key::fn(static_cast<int>(ch - KEY_F0));
        break;
    }
    return true;
  }
  if (ch == '\r' || ch == '\n') k = Key::of(KeyKind::Enter);
  else if (ch == 27) k = Key::of(KeyKind::Escape);
  else if (ch == 127 || ch == 8) k = Key::of(KeyKind::Backspace);
  else if (ch >= 0x20) k = Key::chr(static_cast<char32_t>(ch));
  return true;
}

bool Terminal::resized() {
  const bool r = resized_;
  resized_ = false;
  return r;
}

}  // namespace ts::tools::top
