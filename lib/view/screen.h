// screen.h: Screen, what one refresh of `taskscope top` puts on the terminal, computed without a
// terminal: lines of styled spans, already sanitized and cut to the screen's width, plus where the
// clickable parts are. The ncurses layer (tools/top) only maps styles to colours and draws; batch
// mode prints the same spans without styles.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ts::view {

// Style is what a span means; the drawing layer picks its colour (or, monochrome, its attribute).
enum class Style : uint8_t {
  Normal, Dim, Title, Label, Value, Warning,
  Header, HeaderSorted,               // the table's column titles; the sort column's
  Selected, Tagged, Dying, Thread, Goro,  // table rows: the selection bar, tagged, ended, LWP, M↔G label
  MeterUser, MeterNice, MeterSystem, MeterIrq, MeterSoftirq, MeterSteal, MeterGuest, MeterIowait,
  MemUsed, MemBuffers, MemCache, SwapUsed,
  Chart, ChartAlt,                    // chart lines (two series)
  FKey, FKeyLabel,                    // the function-key bar: "F1" and "Help"
  Prompt,                             // a search/filter line or a menu
};

// Span is a run of text in one style. The text is safe to send to the terminal: printable
// characters only (sys::printable), and ASCII only when the screen is not UTF-8.
struct Span {
  std::string text;
  Style style = Style::Normal;
};

// Line is one screen line: its spans left to right, then `fill` to the right edge.
struct Line {
  std::vector<Span> spans;
  Style fill = Style::Normal;

  // add() appends a span (cut to what fits is the caller's concern: see fit()).
  Line& add(std::string text, Style s = Style::Normal) {
    spans.push_back(Span{std::move(text), s});
    return *this;
  }
  // width() is the cells its spans take (cell_width() of each).
  int width() const;
  // text() is the spans' text joined, without styles (batch mode, tests).
  std::string text() const;
};

// Span of columns [x0, x1) on the screen: a clickable column title or function key.
struct XRange {
  int x0 = 0, x1 = 0;
};

// Geometry says where the clickable parts of a Screen are (-1: not on screen).
struct Geometry {
  int table_header_y = -1;         // the column titles' line
  int table_first_y = -1;          // the first table row's line
  int table_rows = 0;              // how many table rows fit
  std::vector<std::string> column_ids;  // the shown columns, in order
  std::vector<XRange> column_x;    // where each column's title is
  int fkey_y = -1;                 // the function-key bar's line
  std::vector<XRange> fkey_x;      // F1..F10, in order
  int pane_rows = 0;               // lines of a scrolling pane (Detail, Events, Gmp, Help)
};

// ScreenOptions is the terminal: its size, whether it shows UTF-8 (braille, box drawing) and colour.
struct ScreenOptions {
  int width = 80;
  int height = 24;
  bool utf8 = true;
};

// Screen is the whole terminal content of one refresh: exactly `height` lines (shorter lines leave
// the rest blank), none wider than `width` cells.
struct Screen {
  ScreenOptions opt;
  std::vector<Line> lines;
  Geometry geo;
};

// cell_width() is how many terminal cells `s` takes: one per UTF-8 code point (as Table counts).
int cell_width(std::string_view s);

// fit() cuts `s` to at most `width` cells at a code point boundary and pads it with blanks to
// exactly `width` (on the left when `right`). width <= 0 gives "".
std::string fit(std::string_view s, int width, bool right = false);

// safe_text() is text another process chose (a name, argv, a symbol) made safe for this screen:
// sys::printable(), and when !utf8 every byte above 0x7f as \xNN too.
std::string safe_text(std::string_view s, bool utf8);

// clip() cuts a line to `width` cells, dropping and shortening spans from the right.
void clip(Line& line, int width);

}  // namespace ts::view
