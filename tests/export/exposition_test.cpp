// exposition_test.cpp: the format rules lib/export writes by: label escaping of hostile names,
// counter naming in both formats, Content-Type negotiation, --listen's parser.
#include <catch2/catch.hpp>

#include "export/exposition.h"
#include "export/listen_address.h"
#include "model/error.h"

using namespace ts::exporter;

TEST_CASE("label values escape backslash, quote and newline, and controls and bad UTF-8 never pass raw", "[export]") {
  CHECK(escape_label_value("worker-1") == "worker-1");
  CHECK(escape_label_value("a\"b") == "a\\\"b");
  // printable() first makes a backslash "\\" (so a name holding "\x1b" is told from ESC), then
  // the exposition doubles each backslash: the parsed value is printable()'s text.
  CHECK(escape_label_value("a\\b") == "a\\\\\\\\b");
  CHECK(escape_label_value("a\nb") == "a\\\\x0ab");
  CHECK(escape_label_value("\x1b[2J") == "\\\\x1b[2J");
  CHECK(escape_label_value("bad\xff") == "bad\\\\xff");
  CHECK(escape_label_value("naïve") == "naïve");  // valid UTF-8 stays
}

TEST_CASE("a hostile name cannot end its label or line", "[export]") {
  std::string page;
  MetricWriter w(page, Format::OpenMetrics);
  w.family("x", Kind::Gauge, "", "h");
  w.sample({{"comm", "\"} 1\nevil{a=\""}}, 2);
  w.finish();
  CHECK(page == "# HELP x h\n# TYPE x gauge\nx{comm=\"\\\"} 1\\\\x0aevil{a=\\\"\"} 2\n# EOF\n");
}

TEST_CASE("counters are named as each format names them; units only in OpenMetrics", "[export]") {
  std::string om, text;
  for (auto [out, f] : {std::pair<std::string*, Format>{&om, Format::OpenMetrics}, {&text, Format::Text004}}) {
    MetricWriter w(*out, f);
    w.family("t_cpu_seconds", Kind::Counter, "seconds", "cpu");
    w.sample({{"mode", "user"}}, 1.5);
    w.family("t_rss_bytes", Kind::Gauge, "bytes", "rss");
    w.sample(labels_text({{"pid", "7"}}), {}, 4096);
    w.finish();
  }
  CHECK(om ==
        "# HELP t_cpu_seconds cpu\n# TYPE t_cpu_seconds counter\n# UNIT t_cpu_seconds seconds\n"
        "t_cpu_seconds_total{mode=\"user\"} 1.5\n"
        "# HELP t_rss_bytes rss\n# TYPE t_rss_bytes gauge\n# UNIT t_rss_bytes bytes\nt_rss_bytes{pid=\"7\"} 4096\n# EOF\n");
  CHECK(text ==
        "# HELP t_cpu_seconds_total cpu\n# TYPE t_cpu_seconds_total counter\n"
        "t_cpu_seconds_total{mode=\"user\"} 1.5\n"
        "# HELP t_rss_bytes rss\n# TYPE t_rss_bytes gauge\nt_rss_bytes{pid=\"7\"} 4096\n");
}

TEST_CASE("the format follows Accept as Prometheus negotiates", "[export]") {
  CHECK(choose_format("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                      "text/plain;version=0.0.4;q=0.5,*/*;q=0.1") == Format::OpenMetrics);
  CHECK(choose_format("text/plain;version=0.0.4") == Format::Text004);
  CHECK(choose_format("*/*") == Format::Text004);
  CHECK(choose_format("") == Format::Text004);
  CHECK(std::string(content_type(Format::OpenMetrics)) == "application/openmetrics-text; version=1.0.0; charset=utf-8");
  CHECK(std::string(content_type(Format::Text004)) == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("--listen takes numeric ADDR:PORT and names what is wrong", "[export]") {
  CHECK(parse_listen("127.0.0.1:9890").text() == "127.0.0.1:9890");
  CHECK(parse_listen(":0").text() == "0.0.0.0:0");
  CHECK(parse_listen("[::1]:80").host == "::1");
  CHECK(parse_listen("[::1]:80").text() == "[::1]:80");
  for (const char* bad : {"9890", "localhost:80", "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1:8x", "::1:80", "[1.2.3.4]:5",
                          "1.2.3:4", "127.0.0.1:-1"}) {
    INFO(bad);
    try {
      parse_listen(bad);
      FAIL("accepted");
    } catch (const ts::Error& e) {
      CHECK(e.status() == 2);
      CHECK(std::string(e.what()).starts_with(std::string("--listen ") + bad + ": "));
    }
  }
}
