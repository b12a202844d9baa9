// man_help_test.cpp: each man page's OPTIONS list the options its subcommand's --help lists, no
// more and no fewer, and no man page refers to a taskscope page that does not exist.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "../support/support.h"
#include "view/columns.h"
#include "view/keys.h"
#include "view/top_model.h"

using ts::test::lines;
using ts::test::run;
using ts::test::taskscope_bin;

namespace {

using Names = std::set<std::string>;

// man_dir() is the source tree's man/ (the build directory is <source>/build/<variant>).
std::filesystem::path man_dir() {
  return std::filesystem::path(ts::test::build_dir()).parent_path().parent_path() / "man";
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// help_names() reads the option names (and positional names) CLI11 lists in `--help` output:
// the lines of the Options and Positionals sections that start with two spaces and a name.
Names help_names(const std::string& help) {
  Names names;
  bool in_section = false;
  for (const std::string& l : lines(help)) {
    if (l.empty() || l[0] != ' ') {
      in_section = l == "Options:" || l == "Positionals:";
      continue;
    }
    if (!in_section || l.size() < 3 || l[2] == ' ') continue;  // a wrapped description
    std::string first = l.substr(2, l.find(' ', 2) - 2);
    std::stringstream parts(first);
    for (std::string n; std::getline(parts, n, ',');) names.insert(n);
  }
  return names;
}

// plain() strips roff: font escapes, \- and \(xx, quotes.
std::string plain(std::string s) {
  s = std::regex_replace(s, std::regex(R"(\\f[BIRP])"), "");
  s = std::regex_replace(s, std::regex(R"(\\-)"), "-");
  s = std::regex_replace(s, std::regex(R"(\\\(..)"), "");
  s = std::regex_replace(s, std::regex(R"(^\.[A-Z]+ ?)"), "");
  s = std::regex_replace(s, std::regex(R"(["\[\]|,])"), " ");
  return s;
}

// man_names() reads the OPTIONS section of a man page: the tag line of each .TP item. A tag that
// starts with an option gives its spellings; one that starts with a word gives a positional.
Names man_names(const std::string& page) {
  Names names;
  bool in_options = false, tag_next = false;
  for (const std::string& l : lines(page)) {
    if (l.rfind(".SH", 0) == 0) {
      in_options = l == ".SH OPTIONS";
      continue;
    }
    if (!in_options) continue;
    if (l == ".TP") {
      tag_next = true;
      continue;
    }
    if (!tag_next) continue;
    tag_next = false;
    std::stringstream words(plain(l));
    std::string w;
    words >> w;
    if (w.empty()) continue;
    if (w[0] != '-') {
      names.insert(w);
      continue;
    }
    names.insert(w);
    while (words >> w)
      if (w[0] == '-' && w.size() > 1) names.insert(w);
  }
  return names;
}

Names help_of(const std::vector<std::string>& args) {
  std::vector<std::string> argv{taskscope_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--help");
  const auto r = run(argv);
  REQUIRE(r.status == 0);
  return help_names(r.out);
}

}  // namespace

TEST_CASE("each man page's OPTIONS are exactly its subcommand's --help options", "[man]") {
  for (const char* verb : {"top", "ps", "threads", "maps", "gmp", "stack", "bench", "record", "export"}) {
    INFO("taskscope-" << verb << ".1");
    const Names help = help_of({verb});
    CHECK(help.count("--help") == 1);
    CHECK(man_names(slurp(man_dir() / (std::string("taskscope-") + verb + ".1"))) == help);
  }
  Names trace;
  for (const char* event : {"clone", "exec", "exit", "sched"}) {
    const Names h = help_of({"trace", event});
    trace.insert(h.begin(), h.end());
  }
  CHECK(man_names(slurp(man_dir() / "taskscope-trace.1")) == trace);
  CHECK(man_names(slurp(man_dir() / "taskscope.1")) == help_of({}));
}

// section_tags() is the plain text of each .TP tag of section `name`.
Names section_tags(const std::string& page, const std::string& name) {
  Names tags;
  bool in = false, tag_next = false;
  for (const std::string& l : lines(page)) {
    if (l.rfind(".SH", 0) == 0) {
      in = l == ".SH " + name;
      continue;
    }
    if (!in) continue;
    if (l == ".TP") {
      tag_next = true;
      continue;
    }
    if (tag_next) {
      std::string t = std::regex_replace(l, std::regex(R"(^\.B )"), "");
      t = std::regex_replace(t, std::regex(R"(\\e)"), "\\");
      tags.insert(t);
    }
    tag_next = false;
  }
  return tags;
}

TEST_CASE("taskscope-top(1) lists every key the viewer knows and every column it shows", "[man][top]") {
  const std::string page = slurp(man_dir() / "taskscope-top.1");
  Names keys;
  for (const ts::view::KeyHelp& k : ts::view::key_help()) keys.insert(k.keys);
  CHECK(section_tags(page, "KEYS") == keys);
  Names titles;
  for (std::string_view id : ts::view::top_column_ids(ts::view::TableMode::Threads, true))
    titles.insert(ts::view::column(id).title);
  CHECK(section_tags(page, "COLUMNS") == titles);
}

TEST_CASE("man pages refer only to taskscope pages that exist", "[man]") {
  const std::regex ref(R"(taskscope\\?-([a-z]+) ?\(1\))");
  size_t pages = 0;
  for (const auto& e : std::filesystem::directory_iterator(man_dir())) {
    ++pages;
    const std::string raw = std::regex_replace(slurp(e.path()), std::regex(R"(\\f[BIRP])"), "");
    for (std::sregex_iterator m(raw.begin(), raw.end(), ref), end; m != end; ++m) {
      INFO(e.path().filename().string() << " refers to taskscope-" << (*m)[1]);
      CHECK(std::filesystem::exists(man_dir() / ("taskscope-" + (*m)[1].str() + ".1")));
    }
  }
  CHECK(pages >= 6);
}
