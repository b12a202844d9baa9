// escape_test.cpp: names another process chose (argv, thread names, mapped file names) reach the
// terminal escaped in every text output, and exact in JSON.
#include <catch2/catch.hpp>

#include <set>

#include <nlohmann/json.hpp>

#include "../support/support.h"
#include "sys/text.h"

using nlohmann::json;
using ts::sys::printable;
using ts::test::lines;
using ts::test::raw_control;
using ts::test::run;
using ts::test::taskscope_bin;

namespace {

// kArgs is the hostile command line: colours, a newline followed by what looks like a ps row,
// an 8-bit CSI, and a backslash.
const std::vector<std::string> kArgs = {"\x1b[31mred\x1b[0m", "x\n  999 fake 0 root S", "csi\xc2\x9b" "2J", "back\\slash"};

std::string command_line() {
  std::string s = ts::test::fixture_path("hostile_names");
  for (const std::string& a : kArgs) s += " " + a;
  return s;
}

}  // namespace

TEST_CASE("ps shows a hostile command line escaped on its one row, from either source", "[escape][ps]") {
  ts::test::Fixture fx("hostile_names", kArgs);
  const std::string pid = std::to_string(fx.pid());
  for (const char* source : {"proc", "bpf"}) {
    INFO("source " << source);
    const auto r = run({taskscope_bin(), "ps", "-p", pid, "--source", source});
    if (std::string(source) == "bpf") TS_BPF_GATE(r.status == 0, r.err);
    REQUIRE(r.status == 0);
    CHECK(raw_control(r.out) == -1);
    const auto ls = lines(r.out);
    REQUIRE(ls.size() == 2);  // the newline in argv forges no row
    CHECK(ls[1].find(printable(command_line())) != std::string::npos);
    CHECK(ls[1].find("\\x1b[31mred\\x1b[0m x\\x0a  999 fake 0 root S csi\\xc2\\x9b2J back\\\\slash") != std::string::npos);

    const auto j = run({taskscope_bin(), "ps", "-p", pid, "--json", "--source", source});
    REQUIRE(j.status == 0);
    CHECK(json::parse(j.out)["cmd"] == command_line());  // JSON keeps the bytes exact
  }
}

TEST_CASE("ps -L and threads show hostile thread names escaped, JSON exact", "[escape][threads]") {
  ts::test::Fixture fx("hostile_names", kArgs);
  const json facts = json::parse(fx.facts());
  const std::string pid = std::to_string(fx.pid());
  const std::string main_name = facts["main_name"], thread_name = facts["thread_name"];
  for (const char* source : {"proc", "bpf"}) {
    INFO("source " << source);
    const auto r = run({taskscope_bin(), "ps", "-L", "-p", pid, "--source", source});
    if (std::string(source) == "bpf") TS_BPF_GATE(r.status == 0, r.err);
    REQUIRE(r.status == 0);
    CHECK(raw_control(r.out) == -1);
    const auto ls = lines(r.out);
    REQUIRE(ls.size() == 3);
    CHECK(ls[1].find(printable(main_name)) != std::string::npos);
    CHECK(ls[2].find(printable(thread_name)) != std::string::npos);
  }
  const auto t = run({taskscope_bin(), "threads", pid});
  REQUIRE(t.status == 0);
  CHECK(raw_control(t.out) == -1);
  const auto ls = lines(t.out);
  REQUIRE(ls.size() == 4);
  CHECK(ls[0] == "pid " + pid + " (" + printable(main_name) + "): 2 threads, leader " + pid);
  CHECK(ls[3].find(" " + printable(thread_name)) != std::string::npos);

  const auto j = run({taskscope_bin(), "threads", pid, "--json"});
  REQUIRE(j.status == 0);
  std::set<std::string> names;
  for (const std::string& l : lines(j.out)) names.insert(json::parse(l)["comm"].get<std::string>());
  CHECK(names == std::set<std::string>{main_name, thread_name});
}

TEST_CASE("maps shows a hostile mapped file name escaped on one line, JSON exact", "[escape][maps]") {
  ts::test::Fixture fx("hostile_names", kArgs);
  const json facts = json::parse(fx.facts());
  const std::string pid = std::to_string(fx.pid());
  const std::string file = facts["file"];
  const auto r = run({taskscope_bin(), "maps", pid});
  REQUIRE(r.status == 0);
  CHECK(raw_control(r.out, '\t') == -1);  // size(1)'s line is tab-separated
  size_t rows = 0;
  for (const std::string& l : lines(r.out))
    if (l.find("evil") != std::string::npos) {
      ++rows;
      CHECK(l.find(printable(file)) != std::string::npos);
      CHECK(l.find("evil\\x1b[7m\\x0aname") != std::string::npos);
    }
  CHECK(rows == 1);

  const auto j = run({taskscope_bin(), "maps", pid, "--json"});
  REQUIRE(j.status == 0);
  size_t found = 0;
  for (const std::string& l : lines(j.out)) {
    const json o = json::parse(l);
    if (o["type"] == "segment" && std::stoull(o["start"].get<std::string>(), nullptr, 16) == facts["addr"].get<uint64_t>()) {
      CHECK(o["path"] == file);  // the kernel's "\012" unescaped: the real name
      ++found;
    }
  }
  CHECK(found == 1);
}
