// go_binary_test.cpp: lib/gort's reading of a Go executable: its version, symbols, and struct
// fields found by name in its DWARF (tests/fixtures/go_gmp_target, built by make with the go tool).
#include <catch2/catch.hpp>
#include <string>

#include "../support/support.h"
#include "gort/go_binary.h"
#include "gort/go_layout.h"
#include "gort/go_wait.h"
#include "model/error.h"

using namespace ts::gort;

TEST_CASE("GoBinary knows a Go executable, its version and symbols, stripped or not", "[gort]") {
  const GoBinary full(ts::test::fixture_path("go_gmp_target"));
  const GoBinary stripped(ts::test::fixture_path("go_gmp_target_stripped"));
  CHECK(full.is_go());
  CHECK(stripped.is_go());
  CHECK(full.version().rfind("go1.", 0) == 0);
  CHECK(stripped.version() == full.version());  // from .go.buildinfo, which -s -w keeps
  CHECK(full.has_symbols());
  CHECK(full.dwarf() != nullptr);
  CHECK_FALSE(stripped.has_symbols());
  CHECK(stripped.dwarf() == nullptr);
  for (const char* s : {"runtime.allgs", "runtime.allglen", "runtime.allm", "runtime.allp", "runtime.sched"}) {
    INFO(s);
    CHECK(full.symbol(s).has_value());
  }
  const auto main = full.symbol("main.main");
  REQUIRE(main);
  CHECK(full.function_at(main->addr) == "main.main");
  CHECK(full.function_at(main->addr + main->size - 1) == "main.main");
  CHECK_FALSE(full.symbol("runtime.no_such_symbol").has_value());

  const GoBinary not_go(ts::test::fixture_path("named_threads"));
  CHECK_FALSE(not_go.is_go());
  CHECK_THROWS_AS(GoBinary("/nonexistent/exe"), ts::Gone);
}

TEST_CASE("GoLayout takes runtime struct fields by name from DWARF", "[gort]") {
  const GoBinary bin(ts::test::fixture_path("go_gmp_target"));
  const GoLayout l(bin.dwarf(), {"runtime.g", "runtime.gobuf", "runtime.m"});
  REQUIRE(l.has_type("runtime.g"));
  const Field goid = l.field("runtime.g", "goid"), status = l.field("runtime.g", "atomicstatus");
  CHECK(goid.found);
  CHECK(goid.size == 8);
  CHECK(status.found);
  CHECK(status.size == 4);
  CHECK(goid.offset != status.offset);
  CHECK(goid.end() <= l.size_of("runtime.g"));
  // A dotted path goes through the nested struct: g.sched.sp - g.sched.pc == gobuf.sp - gobuf.pc.
  const Field sp = l.field("runtime.g", "sched.sp"), pc = l.field("runtime.g", "sched.pc");
  REQUIRE(sp.found);
  REQUIRE(pc.found);
  CHECK(static_cast<int>(sp.offset) - static_cast<int>(pc.offset) ==
        static_cast<int>(l.field("runtime.gobuf", "sp").offset) - static_cast<int>(l.field("runtime.gobuf", "pc").offset));
  CHECK(l.field("runtime.m", "procid").size == 8);
  // A struct-valued member is not a scalar field; a missing one is reported by name.
  CHECK_FALSE(l.field("runtime.g", "sched").found);
  CHECK_FALSE(l.field("runtime.g", "no_such_field").found);
  CHECK_FALSE(l.field("runtime.no_such_type", "goid").found);
  CHECK(field_missing("runtime.g", "goid", "go1.99") ==
        "runtime.g.goid is not in the DWARF of this go1.99 program: its runtime layout is not one taskscope knows "
        "(a renamed field?); ps, threads and maps still work");
}

TEST_CASE("go_build_version reads .go.buildinfo's inline version, and nothing else", "[gort]") {
  std::string s("\xff Go buildinf:", 14);
  s += '\x08';
  s += '\x02';
  s.resize(32, '\0');
  s += '\x08';
  s += "go1.19.8";
  CHECK(go_build_version(s) == "go1.19.8");
  std::string old = s;
  old[15] = 0;  // before Go 1.18: pointers, not an inline string
  CHECK(go_build_version(old) == "");
  CHECK(go_build_version(s.substr(0, 36)) == "");  // cut short
  std::string big = s;
  big[32] = '\x7f';  // a length past the section
  CHECK(go_build_version(big) == "");
  CHECK(go_build_version("") == "");
}

TEST_CASE("Go's G statuses and wait reasons map onto the model", "[gort]") {
  CHECK(go_gstate(4).state == ts::GState::Waiting);
  CHECK(go_gstate(4 | kGoScanBit).state == ts::GState::Waiting);
  CHECK(go_gstate(3).state == ts::GState::Syscall);
  CHECK(std::string(go_gstate(9).go_word) == "preempted");
  CHECK_FALSE(go_gstate(5).known);  // _Gmoribund_unused
  CHECK_FALSE(go_gstate(77).known);
  ts::PStatus p{};
  CHECK(go_pstatus(1, &p));
  CHECK(p == ts::PStatus::Running);
  CHECK_FALSE(go_pstatus(9, &p));
  CHECK(go_wait_reason("chan receive") == ts::WaitReason::ChanRecv);
  CHECK(go_wait_reason("sync.Mutex.Lock") == ts::WaitReason::Mutex);
  CHECK(go_wait_reason("semacquire") == ts::WaitReason::None);
  ts::GoroG g;
  g.state = ts::GState::Waiting;
  g.wait_text = "semacquire";
  CHECK(ts::g_wait_text(g) == "semacquire");
  g.wait_text.clear();
  g.wait_reason = ts::WaitReason::Sleep;
  CHECK(ts::g_wait_text(g) == "sleep");
  g.state = ts::GState::Running;
  CHECK(ts::g_wait_text(g) == "");
}
