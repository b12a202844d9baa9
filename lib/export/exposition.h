// exposition.h: the two text formats Prometheus scrapes, OpenMetrics 1.0 and the older text 0.0.4:
// which one a client asked for, its Content-Type, and MetricWriter, which writes metric families
// with the lines each format wants (label values escaped, counters named as each format names them).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace ts::exporter {

// Format is an exposition format.
enum class Format { OpenMetrics, Text004 };

// choose_format() picks the format for a request's Accept header: OpenMetrics when it names
// application/openmetrics-text (as Prometheus 2.x does), otherwise text 0.0.4 (curl's */*, none).
Format choose_format(std::string_view accept);

// content_type() is the exact Content-Type of `f`:
// "application/openmetrics-text; version=1.0.0; charset=utf-8" or "text/plain; version=0.0.4; charset=utf-8".
const char* content_type(Format f);

// escape_label_value() returns `v` as a label value's text between the quotes: first made safe by
// sys::printable() (the one sanitizer: controls and invalid UTF-8 become \xNN, so the value is
// valid UTF-8 with no raw newline), then backslash, double quote and newline escaped as the
// exposition formats require (\\, \", \n).
std::string escape_label_value(std::string_view v);

// Label is one name="value" pair; the value is raw (MetricWriter escapes it).
using Label = std::pair<std::string_view, std::string_view>;

// Kind is a metric family's type.
enum class Kind { Counter, Gauge };

// MetricWriter appends families and samples to a string in one format. Usage:
//   w.family("taskscope_execs", Kind::Counter, "", "execs seen"); w.sample({}, 12);  ... w.finish();
// A counter family `x` is written as OpenMetrics wants (TYPE x, samples x_total) or as text 0.0.4
// wants (TYPE x_total); a unit (the name's suffix, "seconds", "bytes") gets a UNIT line in
// OpenMetrics. Names are ours (never from another process); only label values are escaped.
class MetricWriter {
 public:
  // MetricWriter() writes into `out` (appended to) in format `f`.
  MetricWriter(std::string& out, Format f) : out_(out), f_(f) {}
  // family() starts a family: its metadata lines. `unit` may be empty.
  void family(std::string_view name, Kind kind, std::string_view unit, std::string_view help);
  // sample() writes one sample of the current family with these labels (in this order).
  void sample(std::initializer_list<Label> labels, double value);
  // sample() with labels given as a prefix already escaped by labels_text() plus extra labels.
  void sample(std::string_view prefix, std::initializer_list<Label> labels, double value);
  // finish() ends the page: "# EOF" in OpenMetrics, nothing in text 0.0.4.
  void finish();

 private:
  std::string& out_;
  Format f_;
  std::string name_;  // the current family's sample name (with _total for counters)
};

// labels_text() returns `labels` written as name="escaped",... (no braces), for reuse as a prefix
// of many samples of one process.
std::string labels_text(std::initializer_list<Label> labels);

}  // namespace ts::exporter
