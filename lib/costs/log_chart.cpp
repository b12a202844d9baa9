// log_chart.cpp: log-scale bars with eighth-cell blocks.
#include "costs/log_chart.h"

#include <algorithm>
#include <cmath>

namespace ts::costs {

namespace {

// kEighths are U+2588 (full) down to U+258F (one eighth): index k draws k eighths.
const char* const kEighths[] = {"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589", "\u2588"};

}  // namespace

void print_log_chart(std::ostream& out, const std::string& title, const std::vector<Bar>& bars,
                     const std::function<std::string(double)>& unit, const std::function<std::string(int)>& axis,
                     int per_decade) {
  double lo = 0, hi = 0;
  bool any = false;
  size_t label_w = 0;
  for (const Bar& b : bars) {
    label_w = std::max(label_w, b.label.size());
    if (b.value <= 0) continue;
    const double l = std::log10(b.value);
    lo = any ? std::min(lo, l) : l;
    hi = any ? std::max(hi, l) : l;
    any = true;
  }
  out << title << '\n';
  if (!any) return;
  const int d0 = int(std::floor(lo)), d1 = std::max(int(std::ceil(hi)), d0 + 1);
  // The axis: each power of ten's label starts where its bar length ends.
  std::string line(label_w + 2, ' ');
  for (int d = d0; d <= d1; ++d) {
    const std::string l = axis(d);
    const size_t at = label_w + 2 + size_t((d - d0) * per_decade);
    if (line.size() > at) continue;
    line.resize(at, ' ');
    line += l;
  }
  out << line << '\n';
  for (const Bar& b : bars) {
    if (b.value <= 0) continue;
    out << b.label << std::string(label_w - b.label.size() + 2, ' ');
    // A bar reaches from the axis's first power of ten to the value; at least one eighth.
    const int eighths = std::max(1, int(std::lround((std::log10(b.value) - d0) * per_decade * 8)));
    for (int i = 0; i < eighths / 8; ++i) out << kEighths[8];
    out << kEighths[eighths % 8] << ' ' << unit(b.value) << '\n';
  }
}

}  // namespace ts::costs
