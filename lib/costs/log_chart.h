// log_chart.h: a horizontal bar chart on a log scale for a terminal, so that figures orders of
// magnitude apart are seen side by side.
#pragma once
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace ts::costs {

// Bar is one labelled value; values <= 0 are drawn as "-".
struct Bar {
  std::string label;
  double value = 0;
};

// print_log_chart() draws `title`, an axis of powers of ten labelled by `axis` (10^d -> "1us"),
// and one bar per entry with a value, `per_decade` cells per power of ten (eighth-cell precision,
// U+2588..U+258F), each followed by its value as `unit` prints it. Entries without a value are
// left out. Labels are printed as given: callers pass the project's own words.
void print_log_chart(std::ostream& out, const std::string& title, const std::vector<Bar>& bars,
                     const std::function<std::string(double)>& unit, const std::function<std::string(int)>& axis,
                     int per_decade = 8);

}  // namespace ts::costs
