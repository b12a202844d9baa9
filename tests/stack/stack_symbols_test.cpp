// stack_symbols_test.cpp: ProcSymbols' cache (lib/sym) keeps a return address and an activation at
// the same pc apart: they are looked up at different addresses (pc-1 and pc), so their lines may
// differ, and x86 code addresses are often odd.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "sym/proc_symbols.h"

namespace {

// several_lines() has a few statements on different lines, so neighbouring addresses differ in line.
__attribute__((noinline)) int several_lines(volatile int* v) {
  int x = *v;
  x += *v * 3;
  *v = x;
  x ^= *v << 2;
  *v = x;
  return x + *v;
}

}  // namespace

TEST_CASE("ProcSymbols does not mix up a return address and an activation at the same odd pc", "[stack][sym]") {
  volatile int v = 1;
  REQUIRE(several_lines(&v) != 0);
  const ts::dwarf::Symbolizer ref(getpid());
  REQUIRE(ref.ok());
  const uint64_t fn = reinterpret_cast<uint64_t>(&several_lines);
  // An odd address inside it where the line at pc and the line at pc-1 differ.
  uint64_t odd = 0;
  for (uint64_t a = fn + 1; a < fn + 256 && !odd; a += 2) {
    const ts::dwarf::Site at = ref.lookup(a, false), ret = ref.lookup(a, true);
    if (at.function.find("several_lines") != std::string::npos && at.line > 0 && ret.line > 0 && at.line != ret.line)
      odd = a;
  }
  REQUIRE(odd != 0);
  ts::sym::ProcSymbols syms(getpid());
  const int activation = syms.lookup(odd, false).line;
  const int return_address = syms.lookup(odd, true).line;
  CHECK(activation == ref.lookup(odd, false).line);
  CHECK(return_address == ref.lookup(odd, true).line);
  CHECK(activation != return_address);
}
