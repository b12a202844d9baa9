// task_columns.cpp: the column table shared by ps and threads, and table/NDJSON printing.
#include "task_columns.h"

#include <time.h>

#include <charconv>

#include "format/units.h"
#include "model/error.h"

namespace ts::tools {

namespace {

using json = nlohmann::json;

uint64_t cpu_ns(const Row& r) {
  return r.whole_process ? r.proc->utime_ns + r.proc->stime_ns : r.task->utime_ns + r.task->stime_ns;
}
uint64_t vcsw(const Row& r) { return r.whole_process ? r.proc->total_nvcsw() : r.task->nvcsw; }
uint64_t nvcsw(const Row& r) { return r.whole_process ? r.proc->total_nivcsw() : r.task->nivcsw; }
std::string command(const Row& r) {
  if (!r.proc->cmdline.empty()) return r.proc->cmdline;
  return "[" + r.proc->comm + "]";  // kernel threads and zombies have no arguments, as in ps
}
std::string num(int64_t v) { return std::to_string(v); }
// tick_duration() prints a tick-granular CPU time; zero is "0", not a falsely precise "0ns".
std::string tick_duration(uint64_t ns) { return ns ? short_duration(ns) : "0"; }

// The column table. Order here is irrelevant; each view lists the ids it shows.
const ColumnSpec kColumns[] = {
    {"pid", "PID", Align::Right, Field::Ids, "pid",
     [](const Row& r, const RenderEnv&) { return num(r.proc->pid); },
     [](const Row& r, const RenderEnv&) { return json(r.proc->pid); }},
    {"tid", "TID", Align::Right, Field::Ids, "tid",
     [](const Row& r, const RenderEnv&) { return num(r.task->tid); },
     [](const Row& r, const RenderEnv&) { return json(r.task->tid); }},
    {"leader", "L", Align::Left, Field::Ids, "leader",
     [](const Row& r, const RenderEnv&) { return std::string(r.task->is_leader() ? "*" : ""); },
     [](const Row& r, const RenderEnv&) { return json(r.task->is_leader()); }},
    {"ppid", "PPID", Align::Right, Field::Ids, "ppid",
     [](const Row& r, const RenderEnv&) { return num(r.proc->ppid); },
     [](const Row& r, const RenderEnv&) { return json(r.proc->ppid); }},
    {"user", "USER", Align::Left, Field::User, "user",
     [](const Row& r, const RenderEnv&) { return r.proc->user; },
     [](const Row& r, const RenderEnv&) { return json(r.proc->user); }},
    {"state", "S", Align::Left, Field::State, "state",
     [](const Row& r, const RenderEnv&) { return std::string(1, r.task->state); },
     [](const Row& r, const RenderEnv&) { return json(std::string(1, r.task->state)); }},
    {"name", "NAME", Align::Left, Field::Ids, "comm",
     [](const Row& r, const RenderEnv&) { return r.task->comm; },
     [](const Row& r, const RenderEnv&) { return json(r.task->comm); }},
    {"cpu", "CPU", Align::Right, Field::State, "last_cpu",
     [](const Row& r, const RenderEnv&) { return num(r.task->cpu); },
     [](const Row& r, const RenderEnv&) { return json(r.task->cpu); }},
    {"time", "TIME", Align::Right, Field::Times, "cpu_ns",
     [](const Row& r, const RenderEnv&) { return cpu_time(cpu_ns(r)); },
     [](const Row& r, const RenderEnv&) { return json(cpu_ns(r)); }},
    {"utime", "UTIME", Align::Right, Field::Times, "utime_ns",
     [](const Row& r, const RenderEnv&) { return tick_duration(r.task->utime_ns); },
     [](const Row& r, const RenderEnv&) { return json(r.task->utime_ns); }},
    {"systime", "STIME", Align::Right, Field::Times, "stime_ns",
     [](const Row& r, const RenderEnv&) { return tick_duration(r.task->stime_ns); },
     [](const Row& r, const RenderEnv&) { return json(r.task->stime_ns); }},
    {"ni", "NI", Align::Right, Field::Sched, "nice",
     [](const Row& r, const RenderEnv&) { return num(r.task->nice); },
     [](const Row& r, const RenderEnv&) { return json(r.task->nice); }},
    {"pri", "PRI", Align::Right, Field::Sched, "prio",
     [](const Row& r, const RenderEnv&) { return num(r.task->prio); },
     [](const Row& r, const RenderEnv&) { return json(r.task->prio); }},
    {"cls", "CLS", Align::Left, Field::Sched, "policy",
     [](const Row& r, const RenderEnv&) { return std::string(policy_name(r.task->policy)); },
     [](const Row& r, const RenderEnv&) { return json(policy_name(r.task->policy)); }},
    {"nlwp", "NLWP", Align::Right, Field::Ids, "nlwp",
     [](const Row& r, const RenderEnv&) { return num(r.proc->nlwp); },
     [](const Row& r, const RenderEnv&) { return json(r.proc->nlwp); }},
    {"rss", "RSS", Align::Right, Field::Memory, "rss_bytes",
     [](const Row& r, const RenderEnv&) { return kib(r.proc->rss_bytes); },
     [](const Row& r, const RenderEnv&) { return json(r.proc->rss_bytes); }},
    {"vcsw", "VCSW", Align::Right, Field::Switches, "voluntary_ctxt_switches",
     [](const Row& r, const RenderEnv&) { return std::to_string(vcsw(r)); },
     [](const Row& r, const RenderEnv&) { return json(vcsw(r)); }},
    {"nvcsw", "NVCSW", Align::Right, Field::Switches, "nonvoluntary_ctxt_switches",
     [](const Row& r, const RenderEnv&) { return std::to_string(nvcsw(r)); },
     [](const Row& r, const RenderEnv&) { return json(nvcsw(r)); }},
    {"start", "STIME", Align::Right, Field::Times, "start_unix_ns",
     [](const Row& r, const RenderEnv& e) { return start_time(r.task->start_ns, e.boot_unix_ns, e.now_unix_ns); },
     [](const Row& r, const RenderEnv& e) { return json(e.boot_unix_ns + r.task->start_ns); }},
    {"cmd", "CMD", Align::Left, Field::Cmdline, "cmd",
     [](const Row& r, const RenderEnv&) { return command(r); },
     [](const Row& r, const RenderEnv&) { return json(command(r)); }},
};

}  // namespace

const ColumnSpec& column(std::string_view id) {
  for (const ColumnSpec& c : kColumns)
    if (id == c.id) return c;
  throw std::logic_error("no column '" + std::string(id) + "'");
}

std::vector<const ColumnSpec*> columns(const std::vector<std::string_view>& ids) {
  std::vector<const ColumnSpec*> out;
  for (std::string_view id : ids) out.push_back(&column(id));
  return out;
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
    rows.push_back(Row{&p, t ? t : &p.tasks.front(), true});
  }
  return rows;
}

std::vector<Row> task_rows(const Snapshot& snap) {
  std::vector<Row> rows;
  rows.reserve(snap.task_count());
  for (const Process& p : snap.processes)
    for (const Task& t : p.tasks) rows.push_back(Row{&p, &t, false});
  return rows;
}

void print_table(std::ostream& out, const std::vector<const ColumnSpec*>& cols, const std::vector<Row>& rows,
                 const RenderEnv& env) {
  std::vector<Column> heads;
  for (const ColumnSpec* c : cols) heads.push_back(Column{c->title, c->align});
  Table table(std::move(heads));
  for (const Row& r : rows) {
    std::vector<std::string> cells;
    cells.reserve(cols.size());
    for (const ColumnSpec* c : cols) cells.push_back(c->text(r, env));
    table.add(std::move(cells));
  }
  table.print(out);
}

void print_ndjson(std::ostream& out, const std::vector<const ColumnSpec*>& cols, const std::vector<Row>& rows,
                  const RenderEnv& env) {
  for (const Row& r : rows) {
    json obj = json::object();
    for (const ColumnSpec* c : cols) obj[c->key] = c->value(r, env);
    // Invalid UTF-8 in a task name or command line must not abort the stream.
    out << obj.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
  }
}

RenderEnv render_env(const Snapshot& snap) {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return RenderEnv{snap.boot_time_unix_ns,
                   static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec)};
}

std::vector<int32_t> parse_pid_list(const std::string& text, const std::string& flag) {
  std::vector<int32_t> pids;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const std::string item = text.substr(at, comma - at);
    int32_t v = 0;
    auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || v <= 0)
      throw Error(flag + ": '" + item + "' is not a pid (expected positive numbers separated by commas)", 2);
    pids.push_back(v);
    at = comma + 1;
  }
  return pids;
}

}  // namespace ts::tools
