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
bool plain(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c >= 0x7f || c == '\\') return false;
  return true;
}

}  // namespace

Table::Table(std::vector<Column> cols) : cols_(std::move(cols)) {
  if (cols_.empty()) cols_.push_back(Column{});  // a table has at least one column
  col_width_.resize(cols_.size());
  for (size_t c = 0; c < cols_.size(); ++c) {
    cols_[c].title = sys::printable(cols_[c].title);
    col_width_[c] = display_width(cols_[c].title);
  }
}

void Table::reserve(size_t rows) {
  cells_.reserve(rows * cols_.size());
  text_.reserve(rows * cols_.size() * 8);
}

void Table::push(std::string_view cell) {
  const size_t off = text_.size();
  size_t w = cell.size();  // printable ASCII: a cell per byte
  if (plain(cell)) {
    text_.append(cell);
  } else {
    text_ += sys::printable(cell);
    w = display_width(std::string_view(text_).substr(off));
  }
  const std::string_view added(text_.data() + off, text_.size() - off);
  if (w > col_width_[col_]) col_width_[col_] = w;
  cells_.push_back(Cell{static_cast<uint32_t>(off), static_cast<uint32_t>(added.size()), static_cast<uint32_t>(w)});
  if (++col_ == cols_.size()) col_ = 0;
}

void Table::add(std::vector<std::string> row) {
  while (col_) push({});  // finish a row left short by push()
  for (size_t c = 0; c < cols_.size(); ++c) push(c < row.size() ? std::string_view(row[c]) : std::string_view());
}

void Table::print(std::ostream& out) const {
  const size_t ncols = cols_.size();
  const size_t nrows = size();
  size_t line_max = ncols;
  for (size_t w : col_width_) line_max += w;
  std::string text;  // everything, written at once
  text.reserve((nrows + 1) * (line_max + 1));
  auto emit = [&](auto cell_of) {
    const size_t start = text.size();
    for (size_t c = 0; c < ncols; ++c) {
      const auto [cell, w] = cell_of(c);
      const size_t pad = col_width_[c] - std::min(col_width_[c], w);
      if (c) text += ' ';
      if (cols_[c].align == Align::Right) text.append(pad, ' ');
      text += cell;
      if (cols_[c].align == Align::Left && c + 1 != ncols) text.append(pad, ' ');
    }
    while (text.size() > start && text.back() == ' ') text.pop_back();
    text += '\n';
  };
  using Shown = std::pair<std::string_view, size_t>;
  emit([&](size_t c) { return Shown{cols_[c].title, display_width(cols_[c].title)}; });
  for (size_t r = 0; r < nrows; ++r)
    emit([&](size_t c) {
      const size_t i = r * ncols + c;
      if (i >= cells_.size()) return Shown{};
      return Shown{std::string_view(text_).substr(cells_[i].off, cells_[i].len), cells_[i].width};
    });
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace ts
