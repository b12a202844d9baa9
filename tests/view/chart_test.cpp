// chart_test.cpp: braille, block and ASCII charts cell by cell, and bar meter layout.
#include <catch2/catch.hpp>
#include <cmath>

#include "view/chart.h"

using namespace ts::view;

namespace {

// cp() is the code point of a 3-byte UTF-8 character at the start of s.
unsigned cp(const std::string& s, size_t at = 0) {
  REQUIRE(s.size() >= at + 3);
  return (unsigned(s[at] & 0x0f) << 12) | (unsigned(s[at + 1] & 0x3f) << 6) | unsigned(s[at + 2] & 0x3f);
}

}  // namespace

TEST_CASE("a braille area cell holds two samples, four steps each", "[chart]") {
  const double v[] = {4, 2};
  const auto lines = render_chart(v, 4, 1, 1, ChartGlyphs::Braille);
  REQUIRE(lines.size() == 1);
  // Left column full (dots 1,2,3,7), right column its bottom two (dots 6,8).
  CHECK(cp(lines[0]) == 0x2800 + (0x01 | 0x02 | 0x04 | 0x40) + (0x20 | 0x80));
}

TEST_CASE("newest samples sit at the right edge; missing history is blank", "[chart]") {
  const double v[] = {8};
  const auto lines = render_chart(v, 8, 3, 2, ChartGlyphs::Braille);
  REQUIRE(lines.size() == 2);
  for (const auto& l : lines) CHECK(l.size() == 9);  // 3 cells x 3 bytes
  // Only the last dot column of the last cell is lit, in both rows.
  CHECK(cp(lines[0], 0) == 0x2800);
  CHECK(cp(lines[0], 3) == 0x2800);
  CHECK(cp(lines[0], 6) == 0x2800 + (0x08 | 0x10 | 0x20 | 0x80));
  CHECK(cp(lines[1], 6) == 0x2800 + (0x08 | 0x10 | 0x20 | 0x80));
}

TEST_CASE("values are clamped, small ones stay visible, NaN draws nothing", "[chart]") {
  const double v[] = {-5, 1000, 0.01, NAN};
  const auto lines = render_chart(v, 10, 4, 1, ChartGlyphs::Blocks);
  REQUIRE(lines.size() == 1);
  const std::string& l = lines[0];
  CHECK(l[0] == ' ');              // below zero: empty
  CHECK(cp(l, 1) == 0x2588);       // above max: a full block
  CHECK(cp(l, 4) == 0x2581);       // tiny but non-zero: one eighth
  CHECK(l.substr(7) == " ");       // NaN: nothing
}

TEST_CASE("a block chart spreads one sample over its rows", "[chart]") {
  const double v[] = {12};  // 12 of 16 eighths over two rows
  const auto lines = render_chart(v, 16, 1, 2, ChartGlyphs::Blocks);
  REQUIRE(lines.size() == 2);
  CHECK(cp(lines[1]) == 0x2588);  // the bottom row full
  CHECK(cp(lines[0]) == 0x2584);  // the top row half
}

TEST_CASE("a line chart joins each sample to the previous one", "[chart]") {
  const double v[] = {1, 4};
  const auto lines = render_chart(v, 4, 1, 1, ChartGlyphs::Braille, ChartKind::Line);
  REQUIRE(lines.size() == 1);
  // Left: one dot at the bottom (dot 7). Right: from just above it up to the top (dots 4,5,6).
  CHECK(cp(lines[0]) == 0x2800 + 0x40 + (0x08 | 0x10 | 0x20));
  const double flat[] = {2, 2};
  const auto f = render_chart(flat, 4, 1, 1, ChartGlyphs::Braille, ChartKind::Line);
  CHECK(cp(f[0]) == 0x2800 + 0x04 + 0x20);  // both at step 2: dots 3 and 6
}

TEST_CASE("ASCII charts and degenerate sizes", "[chart]") {
  const double v[] = {0, 5, 10};
  const auto lines = render_chart(v, 10, 3, 2, ChartGlyphs::Ascii);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "  #");
  CHECK(lines[1] == " ##");
  CHECK(render_chart(v, 10, 0, 3, ChartGlyphs::Ascii).empty());
  CHECK(render_chart(v, 10, 3, 0, ChartGlyphs::Braille).empty());
  CHECK(render_chart({}, 10, 2, 1, ChartGlyphs::Ascii)[0] == "  ");
  CHECK(render_chart(v, 0, 3, 1, ChartGlyphs::Ascii)[0] == "   ");  // no scale: nothing to draw
  CHECK(chart_samples(5, ChartGlyphs::Braille) == 10);
  CHECK(chart_samples(5, ChartGlyphs::Blocks) == 5);
}

TEST_CASE("meter_cells lays parts left to right and cuts at the edge", "[chart]") {
  const double parts[] = {0.25, 0.25};
  CHECK(meter_cells(parts, 8) == std::vector<int>{0, 0, 1, 1, -1, -1, -1, -1});
  const double over[] = {0.75, 0.5};
  CHECK(meter_cells(over, 4) == std::vector<int>{0, 0, 0, 1});
  const double tiny[] = {0.04, 0.04, -1};  // each too small alone; together they reach a cell
  CHECK(meter_cells(tiny, 10) == std::vector<int>{1, -1, -1, -1, -1, -1, -1, -1, -1, -1});
  CHECK(meter_cells(parts, 0).empty());
}
