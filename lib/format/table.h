// table.h: Table, a text table with aligned columns, the shape every tabular view prints.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ts {

// display_width() is how many terminal cells `s` takes, counted as one per UTF-8 code point: a
// fair width for the names we print (every table and top's screen count the same way).
size_t display_width(std::string_view s);

// Align says which side of its column a cell hugs.
enum class Align { Left, Right };

// Column is one column's header and alignment. The last column may be wide (a command line)
// and is never padded.
struct Column {
  std::string title;
  Align align = Align::Right;
};

// Table collects rows of cells and prints them aligned under a header. It is where the text views
// write what other processes named (argv, thread names, file names, symbols): every cell and
// title goes through sys::printable() as it is added, so no cell can move the cursor or start a
// line of its own, and widths are those of what is printed.
class Table {
 public:
  // Table() makes a table with these columns.
  explicit Table(std::vector<Column> cols);
  // reserve() makes room for `rows` rows, so that adding them allocates once.
  void reserve(size_t rows);
  // add() appends a row; it must have exactly one cell per column (extra cells are dropped,
  // missing ones print empty). Cells are stored escaped (sys::printable).
  void add(std::vector<std::string> row);
  // push() appends one cell to the row being built (escaped as add() does); a row is complete
  // after one cell per column. A row left short prints its missing cells empty.
  void push(std::string_view cell);
  // size() is the number of rows added (a row being built counts).
  size_t size() const { return (cells_.size() + cols_.size() - 1) / cols_.size(); }
  // print() writes the header and every row, columns separated by one space, in one write.
  void print(std::ostream& out) const;

 private:
  // Cell is where a cell's text lies in text_, and its display width.
  struct Cell {
    uint32_t off, len, width;
  };
  std::vector<Column> cols_;
  std::string text_;              // every cell's text, one after the other
  std::vector<Cell> cells_;       // row-major, cols_.size() per row
  std::vector<size_t> col_width_; // the widest cell (or title) of each column
  size_t col_ = 0;                // the column the next push() fills
};

}  // namespace ts
