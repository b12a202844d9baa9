// table.cpp: printing a Table with aligned columns.
#include "format/table.h"

#include <algorithm>

#include "sys/text.h"

namespace ts {

size_t display_width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

namespace {

// plain() tells whether printable() would return s unchanged (printable ASCII, no backslash): the
// common cell, kept as it is rather than copied.
bool plain(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c >= 0x7f || c == '\\') return false;
  return true;
}

}  // namespace

Table::Table(std::vector<Column> cols) : cols_(std::move(cols)) {
  for (Column& c : cols_) c.title = sys::printable(c.title);
}

void Table::add(std::vector<std::string> row) {
  for (std::string& cell : row)
    if (!plain(cell)) cell = sys::printable(cell);
  rows_.push_back(std::move(row));
}

void Table::print(std::ostream& out) const {
  const size_t ncols = cols_.size();
  std::vector<size_t> width(ncols, 0);
  for (size_t c = 0; c < ncols; ++c) width[c] = display_width(cols_[c].title);
  for (const auto& row : rows_)
    for (size_t c = 0; c < ncols && c < row.size(); ++c) width[c] = std::max(width[c], display_width(row[c]));

  std::string line;  // reused: one allocation for every row
  auto emit = [&](auto cell_of) {
    line.clear();
    for (size_t c = 0; c < ncols; ++c) {
      const std::string& cell = cell_of(c);
      const size_t pad = width[c] - std::min(width[c], display_width(cell));
      const bool last = c + 1 == ncols;
      if (c) line += ' ';
      if (cols_[c].align == Align::Right) line.append(pad, ' ');
      line += cell;
      if (cols_[c].align == Align::Left && !last) line.append(pad, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  static const std::string empty;
  emit([&](size_t c) -> const std::string& { return cols_[c].title; });
  for (const auto& row : rows_) emit([&](size_t c) -> const std::string& { return c < row.size() ? row[c] : empty; });
}

}  // namespace ts
