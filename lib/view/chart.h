// chart.h: history charts as text, the way gotop and btop draw them: braille cells (2x4 dots each,
// U+2800..U+28FF) or, on terminals without braille, block elements (U+2581..U+2588), and htop's
// bar meters as runs of kinds the drawing layer colours. Pure functions: no terminal.
#pragma once
#include <span>
#include <string>
#include <vector>

namespace ts::view {

// ChartGlyphs picks the characters a chart is drawn with.
enum class ChartGlyphs {
  Braille,  // 2 samples per cell, 4 vertical steps per row
  Blocks,   // 1 sample per cell, 8 vertical steps per row (lower eighth blocks)
  Ascii,    // 1 sample per cell, '#' filled / ' ' empty, for terminals with no UTF-8
};

// ChartKind is how a sample is drawn.
enum class ChartKind {
  Area,  // filled from the bottom up to the value (btop)
  Line,  // one dot at the value, joined vertically to the previous sample (gotop)
};

// chart_samples() is how many samples a chart `width` cells wide shows with these glyphs.
int chart_samples(int width, ChartGlyphs glyphs);

// render_chart() draws the newest chart_samples() values of `values` (oldest first; the newest is
// drawn at the right edge, missing history leaves the left empty) into `height` lines of exactly
// `width` cells each, top line first, as UTF-8. Values are scaled to [0, max]: below 0 draws as 0,
// above max as max, and a NaN sample draws nothing. width or height <= 0 gives no lines.
std::vector<std::string> render_chart(std::span<const double> values, double max, int width, int height,
                                      ChartGlyphs glyphs, ChartKind kind = ChartKind::Area);

// meter_cells() lays out an htop bar meter `width` cells wide: cell i gets the index of the part it
// shows (parts are fractions of the whole, drawn left to right in order), or -1 when empty. Parts
// below 0 count as 0; a sum above 1 is cut at the right edge. A part too small for a cell of its
// own still shows when its running total reaches the next cell.
std::vector<int> meter_cells(std::span<const double> parts, int width);

}  // namespace ts::view
