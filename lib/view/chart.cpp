// chart.cpp: braille and block charts, bar meter layout.
#include "view/chart.h"

#include <algorithm>
#include <cmath>

namespace ts::view {

namespace {

// utf8() encodes one code point below U+10000.
void utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xc0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3f));
  } else {
    out += char(0xe0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  }
}

// level() maps a value to a height in steps, 0..steps; -1 for NaN (draw nothing).
int level(double v, double max, int steps) {
  if (std::isnan(v)) return -1;
  if (!(max > 0) || v <= 0) return 0;
  const double f = std::min(v / max, 1.0);
  // A value above zero shows at least one step, so a small load is never invisible.
  return std::max(1, int(std::lround(f * steps)));
}

// Braille dot bits by [column][row-from-top] inside one cell.
constexpr unsigned kDot[2][4] = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};

}  // namespace

int chart_samples(int width, ChartGlyphs glyphs) {
  if (width <= 0) return 0;
  return glyphs == ChartGlyphs::Braille ? 2 * width : width;
}

std::vector<std::string> render_chart(std::span<const double> values, double max, int width, int height,
                                      ChartGlyphs glyphs, ChartKind kind) {
  std::vector<std::string> lines;
  if (width <= 0 || height <= 0) return lines;
  const int n = chart_samples(width, glyphs);
  const int per_row = glyphs == ChartGlyphs::Braille ? 4 : glyphs == ChartGlyphs::Blocks ? 8 : 1;
  const int steps = per_row * height;
  // Heights of the shown samples, -1 where there is no history or the sample is NaN.
  std::vector<int> h(size_t(n), -1);
  const size_t have = values.size(), shown = std::min<size_t>(have, size_t(n));
  for (size_t i = 0; i < shown; i++) h[size_t(n) - shown + i] = level(values[have - shown + i], max, steps);
  // The band of steps [lo, hi] each sample lights: the area below it, or the line joining it to the
  // previous sample.
  std::vector<std::pair<int, int>> band(size_t(n), {1, 0});
  for (int i = 0; i < n; i++) {
    const int v = h[size_t(i)];
    if (v < 0) continue;
    if (kind == ChartKind::Area) {
      band[size_t(i)] = {1, v};
    } else {
      // The dot at the value, plus the vertical run back towards the previous sample's dot.
      const int top = std::max(v, 1);
      const int prev = i > 0 && h[size_t(i - 1)] >= 0 ? std::max(h[size_t(i - 1)], 1) : top;
      if (prev < top) band[size_t(i)] = {prev + 1, top};
      else if (prev > top) band[size_t(i)] = {top, prev - 1};
      else band[size_t(i)] = {top, top};
    }
  }
  auto lit = [&](int sample, int step) {  // step counts from 1 at the bottom
    const auto [lo, hi] = band[size_t(sample)];
    return step >= lo && step <= hi;
  };
  for (int row = 0; row < height; row++) {
    std::string line;
    const int row_base = (height - 1 - row) * per_row;  // steps below this row
    for (int cell = 0; cell < width; cell++) {
      if (glyphs == ChartGlyphs::Braille) {
        unsigned bits = 0;
        for (int c = 0; c < 2; c++)
          for (int r = 0; r < 4; r++)
            if (lit(2 * cell + c, row_base + 4 - r)) bits |= kDot[c][r];
        utf8(line, 0x2800 + bits);
      } else {
        int filled = 0;
        for (int s = 1; s <= per_row; s++) filled += lit(cell, row_base + s) ? 1 : 0;
        if (glyphs == ChartGlyphs::Ascii) {
          line += filled ? '#' : ' ';
        } else if (filled == 0) {
          line += ' ';
        } else if (kind == ChartKind::Line && !lit(cell, row_base + 1)) {
          utf8(line, 0x2594);  // a line passing through the top of the cell: upper eighth
        } else {
          utf8(line, 0x2580 + unsigned(filled));  // lower 1/8 .. full block
        }
      }
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<int> meter_cells(std::span<const double> parts, int width) {
  std::vector<int> cells(size_t(std::max(width, 0)), -1);
  double sum = 0;
  int at = 0;
  for (size_t p = 0; p < parts.size() && at < width; p++) {
    sum += std::max(parts[p], 0.0);
    const int end = std::min(width, int(std::lround(std::min(sum, 1.0) * width)));
    for (; at < end; at++) cells[size_t(at)] = int(p);
  }
  return cells;
}

}  // namespace ts::view
