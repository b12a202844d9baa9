// format_test.cpp: tables and units print as users expect.
#include <catch2/catch.hpp>

#include <sstream>

#include "format/ndjson.h"
#include "format/table.h"
#include "format/units.h"

using namespace ts;

namespace {

// printed() is what a table of ID, NAME and CMD columns with these rows prints.
std::string printed(const std::vector<std::vector<std::string>>& rows) {
  Table t({{"ID", Align::Right}, {"NAME", Align::Left}, {"CMD", Align::Left}});
  for (const auto& r : rows) t.add(r);
  std::ostringstream out;
  t.print(out);
  return out.str();
}

}  // namespace

TEST_CASE("Table aligns columns and never pads the last one") {
  CHECK(printed({{"1", "init", "/sbin/init splash"}, {"12345", "kworker/0:1", ""}}) ==
        "   ID NAME        CMD\n"
        "    1 init        /sbin/init splash\n"
        "12345 kworker/0:1\n");
}

TEST_CASE("units") {
  CHECK(human_bytes(812) == "812");
  CHECK(human_bytes(4096) == "4.0K");
  CHECK(human_bytes(13107200) == "12M");
  CHECK(kib(1) == "1");
  CHECK(kib(4096) == "4");
  CHECK(cpu_time(0) == "00:00:00");
  CHECK(cpu_time(3723'000'000'000ull) == "01:02:03");
  CHECK(cpu_time(90000'000'000'000ull) == "1-01:00:00");
  CHECK(short_duration(850) == "850ns");
  CHECK(short_duration(12345) == "12.3us");
  CHECK(short_duration(4560000) == "4.56ms");
  CHECK(hex(255) == "0xff");
}

TEST_CASE("strprintf formats into a string of any length") {
  CHECK(strprintf("%d %s %.1f%%", 42, "cpu", 12.34) == "42 cpu 12.3%");
  CHECK(strprintf("%s", std::string(1000, 'x').c_str()).size() == 1000);  // no fixed buffer
  CHECK(strprintf("%s", "").empty());
}

TEST_CASE("htop's TIME+ and rates as top prints them") {
  CHECK(cpu_time_plus(0) == "0:00.00");
  CHECK(cpu_time_plus(83'450'000'000ull) == "1:23.45");
  CHECK(cpu_time_plus(3'723'000'000'000ull) == "1h02:03");
  CHECK(cpu_time_plus(360'000'000'000'000ull) == "100h");
  CHECK(per_second(0) == "0");
  CHECK(per_second(7.4) == "7");
  CHECK(per_second(12345) == "12.3k");
  CHECK(per_second(4.5e6) == "4.5M");
}

TEST_CASE("Table escapes what other processes named, and aligns what it prints") {
  CHECK(printed({{"7", "\x1b[2Jx", "a\nFAKE ROW"}, {"12", "ok", "b"}}) ==
        "ID NAME     CMD\n"
        " 7 \\x1b[2Jx a\\x0aFAKE ROW\n"
        "12 ok       b\n");
}

TEST_CASE("json_line keeps control characters exact and replaces invalid UTF-8") {
  const nlohmann::json j{{"cmd", "a\x1b[31m\nb"}, {"bad", "x\xffy"}};
  CHECK(json_line(j) == "{\"bad\":\"x\xef\xbf\xbdy\",\"cmd\":\"a\\u001b[31m\\nb\"}");
  CHECK(nlohmann::json::parse(json_line(j))["cmd"] == "a\x1b[31m\nb");
}

TEST_CASE("Table built cell by cell prints as one built row by row, short rows padded") {
  Table t({{"ID", Align::Right}, {"NAME", Align::Left}, {"CMD", Align::Left}});
  t.reserve(2);
  for (const char* cell : {"1", "init", "/sbin/init splash", "12345", "kworker/0:1", ""}) t.push(cell);
  CHECK(t.size() == 2);
  t.push("7");  // a row left short: its NAME and CMD print empty
  CHECK(t.size() == 3);
  std::ostringstream out;
  t.print(out);
  CHECK(out.str() == printed({{"1", "init", "/sbin/init splash"}, {"12345", "kworker/0:1", ""}, {"7"}}));
  CHECK(out.str() ==
        "   ID NAME        CMD\n"
        "    1 init        /sbin/init splash\n"
        "12345 kworker/0:1\n"
        "    7\n");
}

TEST_CASE("start_time answers the same when asked again, and follows a new now") {
  const uint64_t s = 1'000'000'000ull;
  const uint64_t boot = 1'700'000'000ull * s;  // 2023-11-14
  const std::string a = start_time(60 * s, boot, boot + 120 * s);
  CHECK(start_time(60 * s, boot, boot + 120 * s) == a);
  CHECK(a.size() == 5);  // HH:MM the same day
  CHECK(start_time(60 * s, boot, boot + 400ull * 86400 * s) == "2023");  // a year later: the year
  CHECK(start_time(60 * s, boot, boot + 120 * s) == a);
}
