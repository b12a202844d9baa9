// stack_unwind_test.cpp: unwinding by cached CFI steps (cfi_steps.h) gives exactly the frames
// libdwfl's own unwinder gives, over the same captured registers and stack copies: C and C++,
// PIE and not, with and without debug information, threads stopped (all registers) and read
// without a stop (sp and pc only, where libdwfl takes over), and 100 threads parked deep.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../support/support.h"
#include "stack/capture.h"
#include "stack/unwind.h"
#include "sym/proc_symbols.h"

using ts::test::Fixture;

namespace {

std::string show(const ts::stack::UnwindResult& r) {
  std::string s = r.complete ? "complete" : "cut: " + r.error;
  for (const auto& f : r.frames) s += " " + std::to_string(f.pc) + (f.activation ? "*" : "");
  return s;
}

// compare() captures every thread of pid (stopped, or without a stop where it can be) and unwinds
// each twice: by cached steps and by libdwfl alone. Returns how many units the steps unwound.
size_t compare(int pid, bool consistent) {
  std::vector<ts::stack::RawThread> raw = ts::stack::list_threads(pid, {}, false);
  REQUIRE(!raw.empty());
  std::vector<ts::stack::RawThread*> todo;
  for (auto& t : raw) todo.push_back(&t);
  const ts::stack::Maps maps = ts::stack::read_maps(pid);
  ts::stack::capture_threads(pid, pid, todo, maps, consistent);
  ts::sym::ProcSymbols a(pid, false), b(pid, false);  // one Dwfl per unwinder: each attaches once
  REQUIRE(a.dwfl());
  REQUIRE(b.dwfl());
  ts::stack::Unwinder stepped(a.dwfl(), pid, true), dwfl_only(b.dwfl(), pid, false);
  size_t units = 0;
  for (const auto& t : raw) {
    if (t.gone || t.capture == ts::stack::Capture::None) continue;
    const ts::stack::Unit u{t.tid, &t.regs, &t.stack, true, false};
    const auto x = stepped.unwind(u, 1024), y = dwfl_only.unwind(u, 1024);
    INFO("pid " << pid << " LWP " << t.tid << (consistent ? " stopped" : " without a stop"));
    CHECK(show(x) == show(y));
    CHECK(x.frames.size() >= 2);
    ++units;
  }
  CHECK(units == raw.size());
  CHECK(dwfl_only.stepped() == 0);
  return stepped.stepped();
}

}  // namespace

TEST_CASE("stack: cached CFI steps unwind as libdwfl does", "[stack][unwind]") {
  for (const char* name : {"stack_chain", "stack_chain_nodebug", "stack_chain_nopie", "stack_chain_nopie_nodebug",
                           "stack_chain_cpp", "stack_chain_cpp_nodebug"}) {
    Fixture fx(name);
    const int pid = nlohmann::json::parse(fx.facts())["pid"];
    INFO(name);
    // Stopped, every register is known: the steps unwind every thread themselves.
    CHECK(compare(pid, true) == 3);
    compare(pid, false);
  }
}

TEST_CASE("stack: cached CFI steps on 100 threads parked 20 frames deep", "[stack][unwind]") {
  Fixture fx("stack_many", {"100"});
  const int pid = nlohmann::json::parse(fx.facts())["pid"];
  // The parked threads' frames keep their CFA in rsp or in a register saved below: read without a
  // stop (sp and pc), the steps still unwind them.
  CHECK(compare(pid, false) >= 100);
  CHECK(compare(pid, true) >= 100);
}
