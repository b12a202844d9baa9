// exposition.cpp: the formats' few rules (research: shared/research/history-fleet.md §4.1).
#include "export/exposition.h"

#include <charconv>
#include <cmath>

#include "sys/text.h"

namespace ts::exporter {

Format choose_format(std::string_view accept) {
  return accept.find("application/openmetrics-text") != std::string_view::npos ? Format::OpenMetrics : Format::Text004;
}

const char* content_type(Format f) {
  return f == Format::OpenMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                  : "text/plain; version=0.0.4; charset=utf-8";
}

std::string escape_label_value(std::string_view v) {
  const std::string p = sys::printable(v);
  std::string out;
  out.reserve(p.size() + 4);
  for (char c : p) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";  // printable() leaves none; kept so the rule stands alone
    else out += c;
  }
  return out;
}

namespace {

void append_labels(std::string& out, std::initializer_list<Label> labels, bool comma) {
  for (const Label& l : labels) {
    if (comma) out += ',';
    comma = true;
    out.append(l.first);
    out += "=\"";
    out += escape_label_value(l.second);
    out += '"';
  }
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) { out += "NaN"; return; }
  if (std::isinf(v)) { out += v > 0 ? "+Inf" : "-Inf"; return; }
  char buf[32];
  // Whole numbers (counts, bytes) as integers: exact up to 2^53 and shorter than %g.
  if (v == std::floor(v) && std::fabs(v) < 9.0e15) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
    out.append(buf, r.ptr);
    return;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  out.append(buf, r.ptr);
}

}  // namespace

std::string labels_text(std::initializer_list<Label> labels) {
  std::string s;
  append_labels(s, labels, false);
  return s;
}

void MetricWriter::family(std::string_view name, Kind kind, std::string_view unit, std::string_view help) {
  const bool om = f_ == Format::OpenMetrics;
  name_.assign(name);
  if (kind == Kind::Counter) name_ += "_total";
  const std::string_view meta = om ? name : std::string_view(name_);
  out_ += "# HELP ";
  out_.append(meta);
  out_ += ' ';
  out_.append(help);
  out_ += "\n# TYPE ";
  out_.append(meta);
  out_ += kind == Kind::Counter ? " counter\n" : " gauge\n";
  if (om && !unit.empty()) {
    out_ += "# UNIT ";
    out_.append(name);
    out_ += ' ';
    out_.append(unit);
    out_ += '\n';
  }
}

void MetricWriter::sample(std::initializer_list<Label> labels, double value) { sample({}, labels, value); }

void MetricWriter::sample(std::string_view prefix, std::initializer_list<Label> labels, double value) {
  out_ += name_;
  if (!prefix.empty() || labels.size() != 0) {
    out_ += '{';
    out_.append(prefix);
    append_labels(out_, labels, !prefix.empty());
    out_ += '}';
  }
  out_ += ' ';
  append_value(out_, value);
  out_ += '\n';
}

void MetricWriter::finish() {
  if (f_ == Format::OpenMetrics) out_ += "# EOF\n";
}

}  // namespace ts::exporter
