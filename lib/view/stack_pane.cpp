// stack_pane.cpp: the stack pane's lines.
#include "view/stack_pane.h"

#include <cstdio>

namespace ts::view {

std::vector<Line> stack_pane_lines(const StackView& v, bool utf8) {
  std::vector<Line> out;
  std::string title = v.target.tid ? "Stack of thread " + std::to_string(v.target.tid) + " of pid " + std::to_string(v.target.pid)
                                   : "Stacks of pid " + std::to_string(v.target.pid);
  if (!v.name.empty()) title += " (" + safe_text(v.name, utf8) + ")";
  if (v.capturing) {
    title += utf8 ? ": capturing\u2026" : ": capturing...";
  } else if (v.error.empty()) {
    char took[48];
    std::snprintf(took, sizeof took, ", taken in %.1f ms", static_cast<double>(v.took_ns) / 1e6);
    title += took;
  }
  title += "   (Esc returns, s takes it again)";
  out.push_back(Line{{Span{title, Style::Title}}, Style::Normal});
  if (!v.error.empty()) {
    out.push_back(Line{{Span{safe_text(v.error, utf8), Style::Warning}}, Style::Normal});
    return out;
  }
  // The dump's text escaped every name and path it took from the target (sys::printable); on a
  // screen that is not UTF-8 its bytes above 0x7f are escaped too.
  for (const std::string& l : v.lines) out.push_back(Line{{Span{utf8 ? l : safe_text(l, false)}}, Style::Normal});
  return out;
}

}  // namespace ts::view
