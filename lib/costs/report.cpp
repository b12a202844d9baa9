// report.cpp: the bench table, its notes and charts, and its NDJSON.
#include "costs/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "costs/log_chart.h"
#include "format/ndjson.h"
#include "format/table.h"
#include "format/units.h"

namespace ts::costs {

namespace {

std::string ns_text(double ns) {
  if (ns <= 0) return "-";
  if (ns < 100) {
    char b[16];
    snprintf(b, sizeof b, "%.1fns", ns);
    return b;
  }
  return short_duration(uint64_t(std::llround(ns)));
}

// ns_axis() and bytes_axis() label the power of ten d: "100ns", "1us"; "1kB", "10MB".
std::string ns_axis(int d) {
  static const char* const kUnits[] = {"ns", "us", "ms", "s"};
  if (d < 0) return "-";
  const int u = std::min(d / 3, 3);
  return std::string(size_t(1), '1') + std::string(size_t(d - 3 * u), '0') + kUnits[u];
}

std::string bytes_axis(int d) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  if (d < 0) return "-";
  const int u = std::min(d / 3, 4);
  return std::string(size_t(1), '1') + std::string(size_t(d - 3 * u), '0') + kUnits[u];
}

std::string pct(const Spread& s) {
  if (!s.valid()) return "-";
  char b[16];
  snprintf(b, sizeof b, "%.0f%%", s.spread_pct());
  return b;
}

std::string fig(const Spread& s) { return s.valid() ? ns_text(s.median) : "-"; }

std::string bytes_text(double b) { return b > 0 ? human_bytes(uint64_t(std::llround(b))) : "-"; }

// ratio() is "x<value / cheapest>" for a valid figure.
std::string ratio(const Spread& s, double cheapest) {
  if (!s.valid() || cheapest <= 0) return "-";
  const double x = s.median / cheapest;
  char b[24];
  snprintf(b, sizeof b, x < 10 ? "x%.1f" : "x%.0f", x);
  return b;
}

double cheapest(const std::vector<CostRow>& rows, Spread CostRow::*f) {
  double c = 0;
  for (const CostRow& r : rows)
    if ((r.*f).valid() && (c == 0 || (r.*f).median < c)) c = (r.*f).median;
  return c;
}

std::string cpu_list(const std::vector<int>& cpus) {
  std::string s;
  for (int c : cpus) s += (s.empty() ? "" : ",") + std::to_string(c);
  return s;
}

void print_env(std::ostream& out, const BenchEnv& e) {
  char load[64];
  snprintf(load, sizeof load, "%.2f %.2f %.2f", e.load1, e.load5, e.load15);
  out << "taskscope bench" << (e.quick ? " --quick" : "") << ": " << e.cpus_online << " CPUs online, load " << load
      << " at start" << (e.loaded ? " (LOADED: figures are slower and noisier than on an idle machine)" : "") << '\n';
  char clock[160];
  snprintf(clock, sizeof clock, "clock read %.0fns, spread over each round's units; ", e.clock_ns);
  out << "  create on CPU " << cpu_list(e.create_cpus) << ", both sides of each switch pinned to CPU " << e.switch_cpu
      << "; " << clock << e.rounds << " rounds after 1 warm-up, median and spread (half the min..max range)\n";
}

void print_how(std::ostream& out, const std::vector<CostRow>& rows) {
  out << "\nhow:\n";
  for (const CostRow& r : rows) {
    out << "  " << r.title << ": create " << r.create_how;
    if (!r.switch_how.empty()) out << "; switch " << r.switch_how << ", round trip " << r.roundtrip_how;
    out << "; memory " << r.memory_how << " (" << r.rss_units << (r.rss_units == 1 ? " unit" : " units")
        << "); reserved " << r.reserved_how << '\n';
  }
  out << "  KERNEL V+I: the voluntary+involuntary switches the kernel counted for the switching tasks, read\n"
         "  from outside (/proc) around the test, the bench's own waits subtracted. Two processes or threads\n"
         "  ping-ponging on one CPU cost the kernel one switch each way: a block, or a preemption when the\n"
         "  wakeup runs the partner first. Goroutines switch in user space: no voluntary switch at all; the\n"
         "  involuntary ones are other tasks (or the runtime's monitor) taking the CPU.\n";
}

}  // namespace

void print_bench_table(std::ostream& out, const BenchResult& r) {
  print_env(out, r.env);
  for (const std::string& n : r.env.notes) out << "  note: " << n << '\n';
  const double c_create = cheapest(r.rows, &CostRow::create_ns), c_switch = cheapest(r.rows, &CostRow::switch_ns);
  Table t({{"UNIT", Align::Left}, {"CREATE"}, {"±"}, {"SWITCH"}, {"±"}, {"ROUNDTRIP"}, {"SWITCHES"}, {"KERNEL V+I"}, {"RSS/UNIT"}, {"RESERVED"}, {"SEEDS SAY", Align::Left}, {"MEASURED", Align::Left}});
  for (const CostRow& row : r.rows) {
    const bool sw = row.switch_ns.valid();
    t.add({row.title, fig(row.create_ns), pct(row.create_ns), fig(row.switch_ns), pct(row.switch_ns),
           fig(row.roundtrip_ns), sw ? std::to_string(row.switches) : "-",
           row.kernel_watched ? std::to_string(row.nvcsw) + "+" + std::to_string(row.nivcsw) : "-",
           bytes_text(double(row.rss_bytes)), bytes_text(double(row.reserved_bytes)),
           row.seed_create + (sw ? " / " + row.seed_switch : ""),
           ratio(row.create_ns, c_create) + (sw ? " / " + ratio(row.switch_ns, c_switch) : "")});
  }
  t.print(out);
  print_how(out, r.rows);

  std::vector<Bar> create, sw, mem;
  for (const CostRow& row : r.rows) {
    create.push_back({row.title, row.create_ns.valid() ? row.create_ns.median : 0});
    sw.push_back({row.title, row.switch_ns.valid() ? row.switch_ns.median : 0});
    mem.push_back({row.title, double(row.rss_bytes)});
  }
  out << '\n';
  print_log_chart(out, "create, ns per unit (log scale)", create, ns_text, ns_axis);
  out << '\n';
  print_log_chart(out, "switch, ns per switch (log scale)", sw, ns_text, ns_axis);
  out << '\n';
  print_log_chart(out, "memory, RSS bytes per idle unit (log scale)", mem, bytes_text, bytes_axis);
}

void print_bench_json(std::ostream& out, const BenchResult& r) {
  using nlohmann::json;
  const BenchEnv& e = r.env;
  out << json_line({{"type", "bench_env"}, {"cpus_online", e.cpus_online}, {"allowed_cpus", e.allowed_cpus},
                    {"create_cpus", e.create_cpus}, {"switch_cpu", e.switch_cpu}, {"load1", e.load1},
                    {"load5", e.load5}, {"load15", e.load15}, {"loaded", e.loaded}, {"clock_ns", e.clock_ns},
                    {"rounds", e.rounds}, {"warmup_rounds", 1}, {"quick", e.quick}, {"notes", e.notes}})
      << '\n';
  auto put = [](json& j, const std::string& key, const Spread& s) {
    j[key + "_ns"] = s.valid() ? json(s.median) : json(nullptr);
    j[key + "_min_ns"] = s.valid() ? json(s.min) : json(nullptr);
    j[key + "_max_ns"] = s.valid() ? json(s.max) : json(nullptr);
  };
  for (const CostRow& row : r.rows) {
    json j = {{"type", "bench_row"}, {"row", row.id}, {"kind", row.kind}, {"title", row.title}};
    put(j, "create", row.create_ns);
    j["create_how"] = row.create_how;
    put(j, "switch", row.switch_ns);
    put(j, "roundtrip", row.roundtrip_ns);
    const bool sw = row.switch_ns.valid();
    j["switch_how"] = sw ? json(row.switch_how) : json(nullptr);
    j["roundtrip_how"] = sw ? json(row.roundtrip_how) : json(nullptr);
    j["switches"] = sw ? json(row.switches) : json(nullptr);
    j["nvcsw"] = row.kernel_watched ? json(row.nvcsw) : json(nullptr);
    j["nivcsw"] = row.kernel_watched ? json(row.nivcsw) : json(nullptr);
    j["bytes"] = row.rss_bytes;
    j["bytes_units"] = row.rss_units;
    j["memory_how"] = row.memory_how;
    j["reserved_bytes"] = row.reserved_bytes;
    j["reserved_how"] = row.reserved_how;
    j["seed_create"] = row.seed_create;
    j["seed_switch"] = sw ? json(row.seed_switch) : json(nullptr);
    j["rounds"] = row.create_ns.rounds;
    out << json_line(j) << '\n';
  }
}

}  // namespace ts::costs
