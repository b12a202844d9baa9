// ps_rss_test.cpp: RSS as ps(1) shows it (VmRSS), from either source: since Linux 6.2 the
// per-mm counters' central count (what /proc/PID/stat's rss is) lags by up to a batch per CPU.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

#include "../support/support.h"
#include "bpf/bpf_common.h"

using nlohmann::json;
using ts::test::run;
using ts::test::taskscope_bin;

namespace {

// ps_rss_kb() is what procps's `ps -o rss=` says of `pid`, in KiB (-1 when it cannot tell).
long ps_rss_kb(int pid) {
  const auto r = run({"/usr/bin/ps", "-o", "rss=", "-p", std::to_string(pid)});
  if (r.status != 0) return -1;
  return std::stol(r.out);
}

// taskscope_rss_kb() is the RSS `taskscope ps --source SOURCE` reports for `pid`, in KiB.
long taskscope_rss_kb(int pid, const std::string& source) {
  const auto r = run({taskscope_bin(), "ps", "--json", "--source", source, "-p", std::to_string(pid)});
  INFO(r.err);
  REQUIRE(r.status == 0);
  return static_cast<long>(json::parse(r.out)["rss_bytes"].get<uint64_t>() / 1024);
}

}  // namespace

TEST_CASE("ps RSS equals ps(1)'s for a process whose per-CPU RSS counters hold deltas", "[ps][rss][bpf]") {
  ts::test::Fixture fx("rss_pages");
  const json facts = json::parse(fx.facts());
  const int pid = facts["pid"];
  const long want = ps_rss_kb(pid);
  REQUIRE(want >= facts["touched_kb"].get<long>());
  CHECK(taskscope_rss_kb(pid, "proc") == want);
  const ts::bpf::Support s = ts::bpf::probe_support();
  TS_BPF_GATE(s.usable, s.why);
  CHECK(taskscope_rss_kb(pid, "bpf") == want);
  CHECK(ps_rss_kb(pid) == want);  // the fixture sat still: nothing moved while we looked
}
