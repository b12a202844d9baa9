// columns.cpp: the column table shared by ps, threads and top, and table/NDJSON printing.
#include "view/columns.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

#include "format/ndjson.h"
#include "format/units.h"
#include "sys/clock.h"

namespace ts::view {

namespace {

using json = nlohmann::json;

uint64_t cpu_ns(const Row& r) {
  return r.whole_process ? r.proc->utime_ns + r.proc->stime_ns : r.task->utime_ns + r.task->stime_ns;
}
// nvcsw() and nivcsw() are the kernel's names: voluntary and involuntary context switches.
uint64_t nvcsw(const Row& r) { return r.whole_process ? r.proc->total_nvcsw() : r.task->nvcsw; }
uint64_t nivcsw(const Row& r) { return r.whole_process ? r.proc->total_nivcsw() : r.task->nivcsw; }
std::string command(const Row& r) {
  if (!r.proc->cmdline.empty()) return r.proc->cmdline;
  return "[" + r.proc->comm + "]";  // kernel threads and zombies have no arguments, as in ps
}
std::string num(int64_t v) { return std::to_string(v); }
// tick_duration() prints a tick-granular CPU time; zero is "0", not a falsely precise "0ns".
std::string tick_duration(uint64_t ns) { return ns ? short_duration(ns) : "0"; }
int64_t i64(uint64_t v) { return static_cast<int64_t>(v); }

constexpr bool kAsc = false, kDesc = true;

// top_command() is top's COMMAND: a process row's command line, a thread row its own name (and the
// goro M/G it runs, when it is an M).
std::string top_command(const Row& r) {
  if (r.whole_process) return command(r);
  return r.label ? r.task->comm + "  " + *r.label : r.task->comm;
}

// milli() is a rate as a sort key: thousandths, and -1 when unknown (below every known rate).
int64_t milli(bool known, double v) { return known ? std::llround(v * 1000) : -1; }
std::string pct(bool known, double v) {
  if (!known) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}
json known_or_null(bool known, double v) { return known ? json(v) : json(nullptr); }
double mem_pct(const Row& r, const RenderEnv& e) {
  return e.mem_total ? 100.0 * static_cast<double>(r.proc->rss_bytes) / static_cast<double>(e.mem_total) : 0;
}

// The column table. Order here is irrelevant; each view lists the ids it shows.
const ColumnSpec kColumns[] = {
    {"pid", "PID", Align::Right, Field::Ids, "pid",
     [](const Row& r, const RenderEnv&) { return num(r.proc->pid); },
     [](const Row& r, const RenderEnv&) { return json(r.proc->pid); },
     {[](const Row& r) -> int64_t { return r.proc->pid; }, kAsc}},
    {"tid", "TID", Align::Right, Field::Ids, "tid",
     [](const Row& r, const RenderEnv&) { return num(r.task->tid); },
     [](const Row& r, const RenderEnv&) { return json(r.task->tid); },
     {[](const Row& r) -> int64_t { return r.task->tid; }, kAsc}},
    {"leader", "L", Align::Left, Field::Ids, "leader",
     [](const Row& r, const RenderEnv&) { return std::string(r.task->is_leader() ? "*" : ""); },
     [](const Row& r, const RenderEnv&) { return json(r.task->is_leader()); },
     {}},
    {"ppid", "PPID", Align::Right, Field::Ids, "ppid",
     [](const Row& r, const RenderEnv&) { return num(r.proc->ppid); },
     [](const Row& r, const RenderEnv&) { return json(r.proc->ppid); },
     {[](const Row& r) -> int64_t { return r.proc->ppid; }, kAsc}},
    {"user", "USER", Align::Left, Field::User, "user",
     [](const Row& r, const RenderEnv&) { return r.proc->user; },
     [](const Row& r, const RenderEnv&) { return json(r.proc->user); },
     {[](const Row& r) -> int64_t { return r.proc->uid; }, kAsc}},
    {"uid", "UID", Align::Right, Field::User, "uid",
     [](const Row& r, const RenderEnv&) { return num(r.proc->uid); },
     [](const Row& r, const RenderEnv&) { return json(r.proc->uid); },
     {[](const Row& r) -> int64_t { return r.proc->uid; }, kAsc}},
    {"state", "S", Align::Left, Field::State, "state",
     [](const Row& r, const RenderEnv&) { return std::string(1, r.task->state); },
     [](const Row& r, const RenderEnv&) { return json(std::string(1, r.task->state)); },
     {[](const Row& r) -> int64_t { return r.task->state; }, kAsc}},
    {"name", "NAME", Align::Left, Field::Ids, "comm",
     [](const Row& r, const RenderEnv&) { return r.task->comm; },
     [](const Row& r, const RenderEnv&) { return json(r.task->comm); },
     {}},
    {"cpu", "CPU", Align::Right, Field::State, "last_cpu",
     [](const Row& r, const RenderEnv&) { return num(r.task->cpu); },
     [](const Row& r, const RenderEnv&) { return json(r.task->cpu); },
     {[](const Row& r) -> int64_t { return r.task->cpu; }, kAsc}},
    {"time", "TIME", Align::Right, Field::Times, "cpu_ns",
     [](const Row& r, const RenderEnv&) { return cpu_time(cpu_ns(r)); },
     [](const Row& r, const RenderEnv&) { return json(cpu_ns(r)); },
     {[](const Row& r) -> int64_t { return i64(cpu_ns(r)); }, kDesc}},
    {"utime", "UTIME", Align::Right, Field::Times, "utime_ns",
     [](const Row& r, const RenderEnv&) { return tick_duration(r.task->utime_ns); },
     [](const Row& r, const RenderEnv&) { return json(r.task->utime_ns); },
     {[](const Row& r) -> int64_t { return i64(r.task->utime_ns); }, kDesc}},
    {"systime", "STIME", Align::Right, Field::Times, "stime_ns",
     [](const Row& r, const RenderEnv&) { return tick_duration(r.task->stime_ns); },
     [](const Row& r, const RenderEnv&) { return json(r.task->stime_ns); },
     {[](const Row& r) -> int64_t { return i64(r.task->stime_ns); }, kDesc}},
    {"ni", "NI", Align::Right, Field::Sched, "nice",
     [](const Row& r, const RenderEnv&) { return num(r.task->nice); },
     [](const Row& r, const RenderEnv&) { return json(r.task->nice); },
     {[](const Row& r) -> int64_t { return r.task->nice; }, kAsc}},
    {"pri", "PRI", Align::Right, Field::Sched, "prio",
     [](const Row& r, const RenderEnv&) { return num(r.task->prio); },
     [](const Row& r, const RenderEnv&) { return json(r.task->prio); },
     {[](const Row& r) -> int64_t { return r.task->prio; }, kAsc}},
    {"cls", "CLS", Align::Left, Field::Sched, "policy",
     [](const Row& r, const RenderEnv&) { return std::string(policy_name(r.task->policy)); },
     [](const Row& r, const RenderEnv&) { return json(policy_name(r.task->policy)); },
     {}},
    {"nlwp", "NLWP", Align::Right, Field::Ids, "nlwp",
     [](const Row& r, const RenderEnv&) { return num(r.proc->nlwp); },
     [](const Row& r, const RenderEnv&) { return json(r.proc->nlwp); },
     {[](const Row& r) -> int64_t { return r.proc->nlwp; }, kDesc}},
    {"rss", "RSS", Align::Right, Field::Memory, "rss_bytes",
     [](const Row& r, const RenderEnv&) { return kib(r.proc->rss_bytes); },
     [](const Row& r, const RenderEnv&) { return json(r.proc->rss_bytes); },
     {[](const Row& r) -> int64_t { return i64(r.proc->rss_bytes); }, kDesc}},
    {"nvcsw", "NVCSW", Align::Right, Field::Switches, "nvcsw",
     [](const Row& r, const RenderEnv&) { return std::to_string(nvcsw(r)); },
     [](const Row& r, const RenderEnv&) { return json(nvcsw(r)); },
     {[](const Row& r) -> int64_t { return i64(nvcsw(r)); }, kDesc}},
    {"nivcsw", "NIVCSW", Align::Right, Field::Switches, "nivcsw",
     [](const Row& r, const RenderEnv&) { return std::to_string(nivcsw(r)); },
     [](const Row& r, const RenderEnv&) { return json(nivcsw(r)); },
     {[](const Row& r) -> int64_t { return i64(nivcsw(r)); }, kDesc}},
    {"start", "STIME", Align::Right, Field::Times, "start_unix_ns",
     [](const Row& r, const RenderEnv& e) { return start_time(r.task->start_ns, e.boot_unix_ns, e.now_unix_ns); },
     [](const Row& r, const RenderEnv& e) { return json(e.boot_unix_ns + r.task->start_ns); },
     {[](const Row& r) -> int64_t { return i64(r.task->start_ns); }, kAsc}},
    {"cmd", "CMD", Align::Left, Field::Cmdline, "cmd",
     [](const Row& r, const RenderEnv&) { return command(r); },
     [](const Row& r, const RenderEnv&) { return json(command(r)); },
     {}},
    // top's columns: rates since the previous frame, htop's titles and formats.
    {"pcpu", "CPU%", Align::Right, Field::Times, "cpu_pct",
     [](const Row& r, const RenderEnv&) { return pct(r.rate.known, r.rate.cpu_pct); },
     [](const Row& r, const RenderEnv&) { return known_or_null(r.rate.known, r.rate.cpu_pct); },
     {[](const Row& r) { return milli(r.rate.known, r.rate.cpu_pct); }, kDesc}},
    {"pmem", "MEM%", Align::Right, Field::Memory, "mem_pct",
     [](const Row& r, const RenderEnv& e) { return pct(e.mem_total != 0, mem_pct(r, e)); },
     [](const Row& r, const RenderEnv& e) { return known_or_null(e.mem_total != 0, mem_pct(r, e)); },
     {[](const Row& r) -> int64_t { return i64(r.proc->rss_bytes); }, kDesc}},
    {"virt", "VIRT", Align::Right, Field::Memory, "vsize_bytes",
     [](const Row& r, const RenderEnv&) { return human_bytes(r.proc->vsize_bytes); },
     [](const Row& r, const RenderEnv&) { return json(r.proc->vsize_bytes); },
     {[](const Row& r) -> int64_t { return i64(r.proc->vsize_bytes); }, kDesc}},
    {"res", "RES", Align::Right, Field::Memory, "rss_bytes",
     [](const Row& r, const RenderEnv&) { return human_bytes(r.proc->rss_bytes); },
     [](const Row& r, const RenderEnv&) { return json(r.proc->rss_bytes); },
     {[](const Row& r) -> int64_t { return i64(r.proc->rss_bytes); }, kDesc}},
    {"timeplus", "TIME+", Align::Right, Field::Times, "cpu_ns",
     [](const Row& r, const RenderEnv&) { return cpu_time_plus(cpu_ns(r)); },
     [](const Row& r, const RenderEnv&) { return json(cpu_ns(r)); },
     {[](const Row& r) -> int64_t { return i64(cpu_ns(r)); }, kDesc}},
    {"nvcsw_ps", "NVCSW/s", Align::Right, Field::Switches, "nvcsw_ps",
     [](const Row& r, const RenderEnv&) { return r.rate.known ? per_second(r.rate.nvcsw_ps) : "-"; },
     [](const Row& r, const RenderEnv&) { return known_or_null(r.rate.known, r.rate.nvcsw_ps); },
     {[](const Row& r) { return milli(r.rate.known, r.rate.nvcsw_ps); }, kDesc}},
    {"nivcsw_ps", "NIVCSW/s", Align::Right, Field::Switches, "nivcsw_ps",
     [](const Row& r, const RenderEnv&) { return r.rate.known ? per_second(r.rate.nivcsw_ps) : "-"; },
     [](const Row& r, const RenderEnv&) { return known_or_null(r.rate.known, r.rate.nivcsw_ps); },
     {[](const Row& r) { return milli(r.rate.known, r.rate.nivcsw_ps); }, kDesc}},
    {"delay", "DELAY", Align::Right, Field::Delay, "run_delay_ms_ps",
     [](const Row& r, const RenderEnv&) { return pct(r.rate.delay_known, r.rate.run_delay_ms_ps); },
     [](const Row& r, const RenderEnv&) { return known_or_null(r.rate.delay_known, r.rate.run_delay_ms_ps); },
     {[](const Row& r) { return milli(r.rate.delay_known, r.rate.run_delay_ms_ps); }, kDesc}},
    {"rt", "RT", Align::Left, Field::Ids, "runtime",
     [](const Row& r, const RenderEnv&) { return r.runtime ? *r.runtime : std::string("-"); },
     [](const Row& r, const RenderEnv&) { return r.runtime ? json(*r.runtime) : json(nullptr); },
     {[](const Row& r) -> int64_t { return !r.runtime ? 0 : *r.runtime == "goro" ? 2 : 1; }, kDesc}},
    {"command", "COMMAND", Align::Left, Field::Cmdline, "command",
     [](const Row& r, const RenderEnv&) { return top_command(r); },
     [](const Row& r, const RenderEnv&) { return json(r.whole_process ? command(r) : r.task->comm); },
     {}},
};

}  // namespace

const ColumnSpec* find_column(std::string_view id) {
  for (const ColumnSpec& c : kColumns)
    if (id == c.id) return &c;
  return nullptr;
}

const ColumnSpec& column(std::string_view id) {
  if (const ColumnSpec* c = find_column(id)) return *c;
  throw std::logic_error("no column '" + std::string(id) + "'");
}

std::vector<const ColumnSpec*> all_columns() {
  std::vector<const ColumnSpec*> out;
  for (const ColumnSpec& c : kColumns) out.push_back(&c);
  return out;
}

std::vector<const ColumnSpec*> columns(const std::vector<std::string_view>& ids) {
  std::vector<const ColumnSpec*> out;
  for (std::string_view id : ids) out.push_back(&column(id));
  return out;
}

std::vector<std::string> sort_ids(const std::vector<const ColumnSpec*>& cols) {
  std::vector<std::string> ids;
  for (const ColumnSpec* c : cols)
    if (c->sort.key) ids.push_back(c->id);
  return ids;
}

Fields fields_for(const std::vector<const ColumnSpec*>& cols) {
  Fields f = static_cast<Fields>(Field::Ids);
  for (const ColumnSpec* c : cols) f = f | c->needs;
  return f;
}

std::vector<Row> process_rows(const Snapshot& snap) {
  std::vector<Row> rows;
  rows.reserve(snap.processes.size());
  for (const Process& p : snap.processes) {
    if (p.tasks.empty()) continue;
    const Task* t = p.leader();
    rows.push_back(make_row(&p, t ? t : &p.tasks.front(), true));
  }
  return rows;
}

std::vector<Row> task_rows(const Snapshot& snap) {
  std::vector<Row> rows;
  rows.reserve(snap.task_count());
  for (const Process& p : snap.processes)
    for (const Task& t : p.tasks) rows.push_back(make_row(&p, &t));
  return rows;
}

bool row_less(const Row& a, const Row& b, const ColumnSpec& by, bool reverse) {
  const SortKey& k = by.sort;
  if (!k.key) throw std::logic_error(std::string("column '") + by.id + "' has no sort key");
  const int64_t ka = k.key(a), kb = k.key(b);
  if (ka != kb) return k.descending != reverse ? ka > kb : ka < kb;
  const int32_t ta = thread_order(a), tb = thread_order(b);
  return std::tie(a.proc->pid, ta) < std::tie(b.proc->pid, tb);
}

void sort_rows(std::vector<Row>& rows, const ColumnSpec& by, bool reverse) {
  if (!by.sort.key) throw std::logic_error(std::string("column '") + by.id + "' has no sort key");
  if (rows.size() < 2) return;
  // Each row's key is read once (not twice per comparison through a function pointer): a 10k-row
  // ps -L spent more in row_less than in the sort itself. Same order as row_less().
  struct Keyed {
    int64_t key;
    int32_t pid, order;
    uint32_t at;
  };
  std::vector<Keyed> keyed(rows.size());
  const bool desc = by.sort.descending != reverse;
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t k = by.sort.key(rows[i]);
    keyed[i] = Keyed{desc ? ~k : k, rows[i].proc->pid, thread_order(rows[i]), static_cast<uint32_t>(i)};
  }
  const auto less = [](const Keyed& a, const Keyed& b) {
    return std::tie(a.key, a.pid, a.order) < std::tie(b.key, b.pid, b.order);
  };
  if (std::is_sorted(keyed.begin(), keyed.end(), less)) return;
  std::sort(keyed.begin(), keyed.end(), less);
  std::vector<Row> sorted;
  sorted.reserve(rows.size());
  for (const Keyed& k : keyed) sorted.push_back(rows[k.at]);
  rows = std::move(sorted);
}

void print_table(std::ostream& out, const std::vector<const ColumnSpec*>& cols, const std::vector<Row>& rows,
                 const RenderEnv& env) {
  std::vector<Column> heads;
  for (const ColumnSpec* c : cols) heads.push_back(Column{c->title, c->align});
  Table table(std::move(heads));
  table.reserve(rows.size());
  for (const Row& r : rows)
    for (const ColumnSpec* c : cols) table.push(c->text(r, env));
  table.print(out);
}

json row_json(const char* type, const std::vector<const ColumnSpec*>& cols, const Row& r, const RenderEnv& env) {
  json obj = json::object();
  obj["type"] = type;
  for (const ColumnSpec* c : cols) obj[c->key] = c->value(r, env);
  return obj;
}

void print_ndjson(std::ostream& out, const char* type, const std::vector<const ColumnSpec*>& cols,
                  const std::vector<Row>& rows, const RenderEnv& env) {
  for (const Row& r : rows) out << json_line(row_json(type, cols, r, env)) << '\n';
}

RenderEnv render_env(const Snapshot& snap) { return RenderEnv{snap.boot_time_unix_ns, sys::realtime_ns(), 0}; }

}  // namespace ts::view
