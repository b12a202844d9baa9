// stack_bench: `taskscope stack` beside eu-stack (elfutils) and gdb's pstack (`thread apply all
// bt`), all measured in this run against the same target: N threads parked 20 frames deep (the
// stack_many fixture) for N = 1, 100, 1000, plus a goro process with 10,000 parked Gs.
// Per tool and N: wall time of one whole dump (median and best of kRuns), the longest gap the
// target's own 1 ms heartbeat thread saw while the tool ran (how long that thread, or the whole
// process, was held still: eu-stack stops one thread at a time, gdb all of them), and for
// taskscope the longest time any thread was stopped as it reports it. Each anchor's ratio is its
// median wall time over that of the taskscope mode printing the same (above 1: taskscope is
// faster): eu-stack (names only) against --no-inline --no-source, eu-stack -i -s and gdb (file:line
// and inlined calls) against the default. Compressed debug files (libc6-dbg) are read from the cache
// of inflated copies (debug_cache.h) after the first run; the "no debug cache" row inflates them
// every run, as a first run does.
// Anchors when the issue was filed (research/pstack.md, 2 vCPUs): 100 threads eu-stack 126-196 ms,
// eu-stack -i -s 0.8-1.3 s, gdb 0.8-1.5 s; 1000 threads eu-stack 1.0-1.8 s, -i -s 7-11 s, gdb
// 3.0-3.7 s. Goals: 100 threads <= 15 ms and <= 5 ms longest stop; 1000 threads <= 300 ms and no
// heartbeat gap over 10 ms; 10,000 goro Gs under 1 s.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/support.h"

using nlohmann::json;
using ts::test::Fixture;

namespace {

constexpr int kRuns = 5;

// Tool is one way to dump a process's stacks.
struct Tool {
  std::string label;
  std::vector<std::string> argv;  // the pid is appended
  bool ours = false;              // taskscope: its last line (or --json end object) has the longest stop
  int runs = kRuns;
  std::string vs;                 // an anchor: the taskscope row that prints the same
};

// Figures are one tool's measurements against one target.
struct Figures {
  std::vector<double> wall_ms, gap_ms, stop_ms;
  int failed = 0;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double best(const std::vector<double>& v) { return v.empty() ? 0 : *std::min_element(v.begin(), v.end()); }

double worst(const std::vector<double>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

// heartbeat_gap_ms() asks the fixture for the longest heartbeat gap since the last ask.
double heartbeat_gap_ms(Fixture& fx) {
  if (!fx.send("g")) return -1;
  bool whole = false;
  const std::string l = fx.read_line(std::chrono::seconds(5), &whole);
  return whole ? json::parse(l)["max_gap_ns"].get<double>() / 1e6 : -1;
}

// longest_stop_ms() reads the longest stop taskscope reports: its text's last line ("Longest stop:
// 0.085 ms (LWP N); ..." or "Longest stop: none: ...") or its --json end object.
double longest_stop_ms(const std::string& out) {
  const std::vector<std::string> ls = ts::test::lines(out);
  if (ls.empty()) return 0;
  const std::string& last = ls.back();
  if (last.rfind("Longest stop: ", 0) == 0) return std::atof(last.c_str() + 14);  // "none" reads as 0
  const json end = json::parse(last, nullptr, false);
  return end.is_object() && end.contains("longest_stop_ns") ? end["longest_stop_ns"].get<double>() / 1e6 : 0;
}

// measure() runs t against fx t.runs times; `heartbeat`: fx is stack_many, and answers 'g'.
Figures measure(Fixture& fx, const Tool& t, bool heartbeat = true) {
  Figures f;
  for (int i = 0; i < t.runs; ++i) {
    std::vector<std::string> argv = t.argv;
    argv.push_back(std::to_string(fx.pid()));
    if (heartbeat) heartbeat_gap_ms(fx);  // a new interval starts now
    const auto t0 = std::chrono::steady_clock::now();
    const ts::test::RunResult r = ts::test::run(argv, std::chrono::seconds(120));
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const double gap = heartbeat ? heartbeat_gap_ms(fx) : 0;
    if (r.status != 0 || r.timed_out) {
      ++f.failed;
      continue;
    }
    f.wall_ms.push_back(ms);
    f.gap_ms.push_back(gap);
    if (t.ours) f.stop_ms.push_back(longest_stop_ms(r.out));
  }
  return f;
}

// version() is the first line a program prints for --version, "" when it is not installed.
std::string version(const std::string& prog) {
  try {
    const ts::test::RunResult r = ts::test::run({prog, "--version"}, std::chrono::seconds(10));
    if (r.status != 0) return "";
    const std::vector<std::string> ls = ts::test::lines(r.out);
    return ls.empty() ? prog : ls.front();
  } catch (const std::exception&) {
    return "";
  }
}

void print_row(const std::string& label, const Figures& f, double ours_ms, const std::string& vs) {
  if (f.wall_ms.empty()) {
    std::printf("  %-40s failed (all %d runs)\n", label.c_str(), f.failed);
    return;
  }
  std::printf("  %-40s %9.1f %9.1f %12.1f", label.c_str(), median(f.wall_ms), best(f.wall_ms), worst(f.gap_ms));
  if (!f.stop_ms.empty()) std::printf(" %12.3f", worst(f.stop_ms));
  else std::printf(" %12s", "-");
  if (!vs.empty() && ours_ms > 0) std::printf(" %8.1fx vs %s", median(f.wall_ms) / ours_ms, vs.c_str());
  if (f.failed) std::printf("  (%d runs failed)", f.failed);
  std::printf("\n");
}

}  // namespace

int main() {
  const std::string ts = ts::test::taskscope_bin();
  const std::string eu = version("eu-stack"), gdb = version("gdb");
  std::printf("stack_bench: one whole dump of a target of N threads parked 20 frames deep, %d runs each\n", kRuns);
  std::printf("anchors in the same run: %s; %s\n", eu.empty() ? "eu-stack not installed" : eu.c_str(),
              gdb.empty() ? "gdb not installed" : gdb.c_str());
  std::printf("gap: the longest gap the target's 1 ms heartbeat thread saw during the runs (held still);\n"
              "stop: the longest time taskscope held any thread stopped (its own report); ratio: the anchor's\n"
              "median over the median of the taskscope mode that prints the same (above 1: taskscope is faster)\n");
  int status = 0;
  for (const int n : {1, 100, 1000}) {
    Fixture fx("stack_many", {std::to_string(n)});
    std::vector<Tool> tools{
        {"taskscope stack", {ts, "stack"}, true, kRuns, ""},
        // Every run inflating the compressed debug files again, as a first run on a host does.
        {"taskscope stack, no debug cache", {"env", "TASKSCOPE_DEBUG_CACHE=0", ts, "stack"}, true, kRuns, ""},
        {"taskscope stack --json", {ts, "stack", "--json"}, true, kRuns, ""},
        {"taskscope stack --consistent", {ts, "stack", "--consistent"}, true, kRuns, ""},
        {"taskscope stack --no-inline --no-source", {ts, "stack", "--no-inline", "--no-source"}, true, kRuns, ""},
    };
    if (!eu.empty()) {
      tools.push_back({"eu-stack", {"eu-stack", "-p"}, false, kRuns, "taskscope stack --no-inline --no-source"});
      tools.push_back({"eu-stack -i -s", {"eu-stack", "-i", "-s", "-p"}, false, n >= 1000 ? 3 : kRuns, "taskscope stack"});
    }
    if (!gdb.empty())
      tools.push_back({"gdb thread apply all bt", {"gdb", "-batch", "-nx", "-ex", "thread apply all bt", "-p"}, false,
                       n >= 1000 ? 3 : kRuns, "taskscope stack"});
    std::printf("\nN=%d parked threads (+ leader and heartbeat)\n", n);
    std::printf("  %-40s %9s %9s %12s %12s %9s\n", "tool", "median ms", "best ms", "max gap ms", "max stop ms", "ratio");
    // The heartbeat's own noise: the longest gap over an idle second.
    heartbeat_gap_ms(fx);
    usleep(1000000);
    std::printf("  %-40s %9s %9s %12.1f\n", "(idle, no tool, 1 s)", "-", "-", heartbeat_gap_ms(fx));
    std::map<std::string, double> ours;  // taskscope's median per mode
    for (const Tool& t : tools) {
      const Figures f = measure(fx, t);
      if (t.ours) ours[t.label] = median(f.wall_ms);
      if (t.ours && f.wall_ms.empty()) status = 1;
      print_row(t.label, f, t.vs.empty() ? 0 : ours[t.vs], t.vs);
    }
  }

  // 10,000 parked goro Gs: no other tool shows them, so no anchor; the goal is under 1 s.
  {
    Fixture fx("goro_stack_target", {"2500"});
    Figures f = measure(fx, {"taskscope stack, 10,000 goro Gs", {ts, "stack"}, true, kRuns, ""}, false);
    std::printf("\ngoro: 10,000 parked Gs (2 Ms), no anchor (no other tool shows goro Gs)\n");
    std::printf("  %-40s %9s %9s %12s %12s\n", "tool", "median ms", "best ms", "", "max stop ms");
    if (f.wall_ms.empty()) status = 1;
    else
      std::printf("  %-40s %9.1f %9.1f %12s %12.3f\n", "taskscope stack", median(f.wall_ms), best(f.wall_ms), "",
                  worst(f.stop_ms));
  }
  return status;
}
