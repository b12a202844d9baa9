// stack_chain_test.cpp: `taskscope stack` against fixtures with known call chains (C and C++, with
// and without debug information, PIE and non-PIE): each thread's functions in order, the inlined
// call, file:line, thread names and the system call a blocked thread waits in, as the fixture
// declares them; and the same chains as `eu-stack -i` sees them.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "../support/stack_util.h"

using nlohmann::json;
using ts::test::bare;
using ts::test::Fixture;
using ts::test::functions;

namespace {

// index_of() is where in `fns`, from `from` on, a frame named `want` is (by bare name), or -1.
int index_of(const std::vector<std::string>& fns, const std::string& want, size_t from) {
  for (size_t i = from; i < fns.size(); ++i)
    if (bare(fns[i]) == bare(want)) return static_cast<int>(i);
  return -1;
}

// EuThread is what eu-stack printed for one thread: each line's pc and function.
struct EuLine {
  uint64_t pc;
  std::string function;
};

std::map<int, std::vector<EuLine>> eu_stack(int pid) {
  const auto r = ts::test::run({"eu-stack", "-i", "-p", std::to_string(pid)});
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::map<int, std::vector<EuLine>> out;
  const std::regex tid_re(R"(^TID (\d+):)"), frame_re(R"(^#\d+\s+0x([0-9a-f]+)\s*(.*)$)");
  int tid = 0;
  for (const std::string& l : ts::test::lines(r.out)) {
    std::smatch m;
    if (std::regex_search(l, m, tid_re)) tid = std::stoi(m[1]);
    else if (tid && std::regex_search(l, m, frame_re))
      out[tid].push_back(EuLine{std::stoull(m[1], nullptr, 16), m[2].str().empty() ? "??" : m[2].str()});
  }
  return out;
}

// physical_pcs() is the pc of each physical frame (inlined lines share their frame's pc).
std::vector<uint64_t> physical_pcs(const json& frames) {
  std::vector<uint64_t> v;
  for (const json& f : frames)
    if (!f["inline"].get<bool>()) v.push_back(std::stoull(f["pc"].get<std::string>(), nullptr, 16));
  return v;
}

// named() is the bare names of the fixture's own functions in a sequence, in order.
std::vector<std::string> named(const std::vector<std::string>& fns, const json& chain) {
  std::vector<std::string> want, out;
  for (const json& c : chain) want.push_back(bare(c["function"]));
  for (const std::string& f : fns)
    for (const std::string& w : want)
      if (bare(f) == w) out.push_back(w);
  return out;
}

void check_fixture(const std::string& name) {
  Fixture fx(name);
  const json facts = json::parse(fx.facts());
  const int pid = facts["pid"];
  const bool debug = facts["debug"];
  const std::string file = facts["file"];
  const auto s = ts::test::stack_json(pid);
  INFO(name << "\n" << s.r.out << s.r.err);
  REQUIRE(s.r.status == 0);
  REQUIRE(s.end.is_object());
  CHECK(s.end["threads"] == 3);
  // The leader is thread 1 and printed last, as gdb does.
  REQUIRE(s.threads.count(pid));
  CHECK(s.threads.at(pid)["thread"] == 1);

  for (const json& ft : facts["threads"]) {
    const int tid = ft["tid"];
    INFO("thread " << ft["name"]);
    REQUIRE(s.threads.count(tid));
    const json& t = s.threads.at(tid);
    CHECK(t["name"] == ft["name"]);
    CHECK(t["thread"].get<int>() > 1);
    if (ft["syscall"].is_string()) {
      CHECK(t["syscall"] == ft["syscall"]);
      CHECK(t["state"] == "S");
    }
    const std::vector<std::string> fns = functions(t["frames"]);
    // Each declared function appears, innermost first, in order; the inlined one only with DWARF.
    size_t at = 0;
    for (const json& c : ft["chain"]) {
      const bool inl = c["inline"];
      const int i = index_of(fns, c["function"], at);
      INFO("function " << c["function"] << " in " << json(fns).dump());
      if (inl && !debug) {
        CHECK(i < 0);  // an inlined function has no symbol: without DWARF it cannot be seen
        continue;
      }
      REQUIRE(i >= 0);
      const json& f = t["frames"][static_cast<size_t>(i)];
      CHECK(f["inline"].get<bool>() == inl);
      if (debug) {
        REQUIRE(f["file"].is_string());
        CHECK(f["file"].get<std::string>().ends_with(file));
        if (c["line"].get<int>() > 0) CHECK(f["line"] == c["line"]);
      } else {
        CHECK(f["file"].is_null());
        CHECK(f["build_id"].is_string());
        CHECK(f["module"] == name);
      }
      at = static_cast<size_t>(i) + 1;
    }
    CHECK(t["complete"] == true);
  }
  // Text: gdb's header lines, threads from the highest number down to 1.
  const auto text = ts::test::run({ts::test::taskscope_bin(), "stack", std::to_string(pid)});
  REQUIRE(text.status == 0);
  std::vector<int> numbers;
  const std::regex head(R"re(^Thread (\d+) \(LWP (\d+) "([^"]*)"\) \[)re");
  for (const std::string& l : ts::test::lines(text.out)) {
    std::smatch m;
    if (std::regex_search(l, m, head)) numbers.push_back(std::stoi(m[1]));
  }
  CHECK(numbers == std::vector<int>{3, 2, 1});
  CHECK(ts::test::lines(text.out).back().rfind("Longest stop: ", 0) == 0);

  // The same chains as eu-stack -i: the blocked thread's physical pcs exactly, and for every thread
  // the fixture's own functions (inlined ones included) in the same order.
  const auto eu = eu_stack(pid);
  const auto again = ts::test::stack_json(pid);
  REQUIRE(again.r.status == 0);
  for (const json& ft : facts["threads"]) {
    const int tid = ft["tid"];
    INFO("eu-stack, thread " << ft["name"]);
    REQUIRE(eu.count(tid));
    std::vector<std::string> eu_fns;
    std::vector<uint64_t> eu_pcs;
    for (const EuLine& l : eu.at(tid)) {
      eu_fns.push_back(l.function);
      if (eu_pcs.empty() || eu_pcs.back() != l.pc) eu_pcs.push_back(l.pc);
    }
    const json& ours = again.threads.at(tid)["frames"];
    CHECK(named(functions(ours), ft["chain"]) == named(eu_fns, ft["chain"]));
    if (ft["syscall"].is_string()) CHECK(physical_pcs(ours) == eu_pcs);
  }
}

}  // namespace

TEST_CASE("stack: C threads' chains, inlined call and lines (PIE, debug info)", "[stack][e2e]") { check_fixture("stack_chain"); }
TEST_CASE("stack: C without debug info: symbol+offset, module, build-id", "[stack][e2e]") { check_fixture("stack_chain_nodebug"); }
TEST_CASE("stack: C non-PIE", "[stack][e2e]") { check_fixture("stack_chain_nopie"); }
TEST_CASE("stack: C non-PIE without debug info", "[stack][e2e]") { check_fixture("stack_chain_nopie_nodebug"); }
TEST_CASE("stack: C++ demangled names, template, always_inline member", "[stack][e2e]") { check_fixture("stack_chain_cpp"); }
TEST_CASE("stack: C++ without debug info", "[stack][e2e]") { check_fixture("stack_chain_cpp_nodebug"); }

TEST_CASE("stack: --no-inline drops inlined lines, --no-source drops file:line", "[stack][e2e]") {
  Fixture fx("stack_chain");
  const json facts = json::parse(fx.facts());
  const int tid = facts["threads"][0]["tid"];
  const auto full = ts::test::stack_json(fx.pid());
  const auto flat = ts::test::stack_json(fx.pid(), {"--no-inline", "--no-source"});
  REQUIRE(full.r.status == 0);
  REQUIRE(flat.r.status == 0);
  const json& a = full.threads.at(tid)["frames"];
  const json& b = flat.threads.at(tid)["frames"];
  CHECK(index_of(functions(a), "chain_inl", 0) >= 0);
  CHECK(index_of(functions(b), "chain_inl", 0) < 0);
  CHECK(physical_pcs(a) == physical_pcs(b));
  for (const json& f : b) {
    CHECK_FALSE(f["inline"].get<bool>());
    CHECK(f["file"].is_null());
  }
}

TEST_CASE("stack: --kernel appends each thread's kernel stack", "[stack][e2e]") {
  Fixture fx("stack_chain");
  const json facts = json::parse(fx.facts());
  const int blocker = facts["threads"][0]["tid"];
  const auto plain = ts::test::stack_json(fx.pid());
  const auto k = ts::test::stack_json(fx.pid(), {"--kernel"});
  INFO(k.r.out << k.r.err);
  REQUIRE(k.r.status == 0);
  CHECK_FALSE(plain.threads.at(blocker).contains("kernel"));
  REQUIRE(k.threads.at(blocker).contains("kernel"));
  const json& lines = k.threads.at(blocker)["kernel"];
  REQUIRE(lines.size() > 0);
  if (geteuid() == 0) {
    // The blocker waits in read(2) on a pipe: its kernel stack passes through the pipe's read.
    bool pipe_read = false;
    for (const json& l : lines) pipe_read |= l.get<std::string>().find("pipe_read") != std::string::npos;
    CHECK(pipe_read);
  }
  const auto text = ts::test::run({ts::test::taskscope_bin(), "stack", std::to_string(fx.pid()), "--kernel"});
  CHECK(text.status == 0);
  CHECK_THAT(text.out, Catch::Contains("Kernel stack:\n    [<0>] "));
}
