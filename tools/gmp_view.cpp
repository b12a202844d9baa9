// gmp_view.cpp: the SCHED line, the P/M/G tables and the NDJSON records of `taskscope gmp`.
#include "gmp_view.h"

#include <charconv>
#include <cstdio>
#include <map>
#include <unordered_map>
#include <nlohmann/json.hpp>

#include "format/ndjson.h"
#include "format/table.h"
#include "format/units.h"
#include "sym/goro_names.h"

namespace ts::tools {
namespace {

bool visible(const GoroG& g, const GmpView& v) {
  return v.all_gs || (g.state != GState::Dead && g.state != GState::Idle);
}

const char* m_state(const GoroM& m) {
  if (m.sysmon) return "sysmon";
  if (m.in_syscall) return "syscall";
  if (m.spinning) return "spinning";
  if (m.parked) return "parked";
  if (m.cur_goid) return "running";
  return "idle";
}

std::string flags_text(const GoroG& g) {
  std::string f;
  auto add = [&](bool on, const char* w) { if (on) f += (f.empty() ? "" : ",") + std::string(w); };
  add(g.main, "main");
  add(g.system, "system");
  add(g.long_running, "long-running");
  return f.empty() ? "-" : f;
}

// for_ns() is how long a G has been in its state, where the record says: waiting or running.
uint64_t for_ns(const GoroG& g) { return g.state == GState::Waiting ? g.wait_ns : g.state == GState::Running ? g.run_ns : 0; }

std::string id_or_dash(int64_t v) { return v < 0 ? "-" : std::to_string(v); }
std::string goid_or_dash(uint64_t v) { return v ? std::to_string(v) : "-"; }

double seconds_between(const GoroSnapshot& a, const GoroSnapshot& b) {
  return b.taken_ns > a.taken_ns ? static_cast<double>(b.taken_ns - a.taken_ns) / 1e9 : 0;
}

// p_rate() is P's switches per second since the previous frame; < 0 when unknown.
double p_rate(const GoroP& p, const GmpView& v, double dt) {
  if (!v.prev || dt <= 0) return -1;
  for (const GoroP& q : v.prev->ps)
    if (q.id == p.id) return p.switches >= q.switches ? static_cast<double>(p.switches - q.switches) / dt : -1;
  return -1;
}

std::string rate_text(double r) { return r < 0 ? "-" : per_second(r); }

sym::Site site(const GmpView& v, uint64_t pc, bool ret) {
  if (!pc || !v.symbolize) {
    sym::Site s;
    s.pc = pc;
    return s;
  }
  return v.symbolize(pc, ret);
}

// kRuntimeHeaders: frames inlined from goro's own headers (goro::go) are not the creation site.
constexpr std::string_view kRuntimeHeaders = "include/goro/";

// start_name() names a G's function (the user's function inside goro's g_trampoline<Fn>).
std::string start_name(const sym::Site& s) { return sym::g_function_name(s); }

nlohmann::json site_json(const sym::Site& s, std::string_view skip = {}) {
  if (!s.pc) return nullptr;
  nlohmann::json j{{"pc", hex(s.pc)}};
  const sym::Frame f = sym::user_frame(s, skip);
  if (!f.function.empty()) j["function"] = f.function;
  if (!f.file.empty()) j["file"] = f.file;
  if (f.line) j["line"] = f.line;
  if (!s.module.empty()) j["module"] = s.module;
  return j;
}

nlohmann::json id_json(int64_t v) { return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(v); }
nlohmann::json goid_json(uint64_t v) { return v ? nlohmann::json(v) : nlohmann::json(nullptr); }

// Shown is what one code address prints as, in the table and in JSON (serialized values).
struct Shown {
  std::string text, json, name, name_json;  // name: start_name() of a start function
};

// Sites memoizes Shown per address for one frame: a program's Gs share a few start functions and
// creation sites, so each is symbolized and formatted once rather than once per G (100k Gs).
class Sites {
 public:
  explicit Sites(const GmpView& v) : v_(v) {}
  // created() is a G's creation site (a return address; goro's own headers skipped).
  const Shown& created(uint64_t pc) { return get(created_, pc, true); }
  // start() is a G's start function.
  const Shown& start(uint64_t pc) { return get(start_, pc, false); }

 private:
  const Shown& get(std::unordered_map<uint64_t, Shown>& memo, uint64_t pc, bool ret) {
    const auto [it, fresh] = memo.try_emplace(pc);
    if (!fresh) return it->second;
    const sym::Site s = site(v_, pc, ret);
    const std::string_view skip = ret ? kRuntimeHeaders : std::string_view();
    it->second.text = sym::describe(s, skip);
    it->second.json = json_line(site_json(s, skip));
    it->second.name = start_name(s);
    it->second.name_json = json_line(it->second.name);
    return it->second;
  }
  const GmpView& v_;
  std::unordered_map<uint64_t, Shown> created_, start_;
};

// Quoted memoizes the JSON form of the few distinct strings many rows repeat (states, wait reasons).
class Quoted {
 public:
  const std::string& operator()(const std::string& s) {
    const auto [it, fresh] = memo_.try_emplace(s);
    if (fresh) it->second = json_line(s);
    return it->second;
  }

 private:
  std::unordered_map<std::string, std::string> memo_;
};

// JsonRow writes one JSON object straight into a line. Members must be given sorted by key: the
// order nlohmann's objects print in, so a row is byte for byte what json_line() would write.
class JsonRow {
 public:
  explicit JsonRow(std::string& out) : out_(out) {}
  // key() starts member `k` (a plain ASCII key); its value follows.
  JsonRow& key(std::string_view k) {
    out_ += first_ ? "{\"" : ",\"";
    first_ = false;
    out_ += k;
    out_ += "\":";
    return *this;
  }
  // raw() appends an already serialized value.
  JsonRow& raw(std::string_view v) {
    out_ += v;
    return *this;
  }
  JsonRow& num(uint64_t v) {
    char buf[24];
    return raw(std::string_view(buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf)));
  }
  JsonRow& num(int64_t v) {
    char buf[24];
    return raw(std::string_view(buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf)));
  }
  // hex_str() is hex(v) as a JSON string (ASCII: no escaping needed).
  JsonRow& hex_str(uint64_t v) {
    out_ += '"';
    out_ += hex(v);
    out_ += '"';
    return *this;
  }
  // id() is v, or null when negative (no M); goid() is v, or null when 0 (none).
  JsonRow& id(int64_t v) { return v < 0 ? raw("null") : num(v); }
  JsonRow& goid(uint64_t v) { return v ? num(v) : raw("null"); }
  void end() { out_ += "}\n"; }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace

SchedSummary sched_summary(const GoroSnapshot& s, uint64_t now_unix_ns) {
  SchedSummary r;
  r.uptime_ms = now_unix_ns > s.start_unix_ns ? (now_unix_ns - s.start_unix_ns) / 1000000 : 0;
  r.gomaxprocs = s.gomaxprocs;
  r.threads = static_cast<uint32_t>(s.ms.size());
  for (const GoroM& m : s.ms) {
    r.spinningthreads += m.spinning;
    r.idlethreads += m.parked;
  }
  r.runqueue = s.global_runq_len;
  r.runqs = "[";
  for (const GoroP& p : s.ps) {
    if (p.id >= s.gomaxprocs) continue;
    r.idleprocs += p.status == PStatus::Idle;
    r.runqs += (r.runqs.size() > 1 ? " " : "") + std::to_string(p.runq_len);
  }
  r.runqs += "]";
  return r;
}

void print_gmp_text(std::ostream& out, const GoroSnapshot& s, const GmpView& v) {
  const SchedSummary sum = sched_summary(s, v.now_unix_ns);
  out << "SCHED " << sum.uptime_ms << "ms: gomaxprocs=" << sum.gomaxprocs << " idleprocs=" << sum.idleprocs
      << " threads=" << sum.threads << " spinningthreads=" << sum.spinningthreads << " idlethreads=" << sum.idlethreads
      << " runqueue=" << sum.runqueue << ' ' << sum.runqs << '\n';
  std::map<GState, size_t> by_state;
  for (const GoroG& g : s.gs) ++by_state[g.state];
  out << "pid " << s.pid << ": " << s.gs.size() << " Gs (";
  bool first = true;
  for (auto [st, n] : by_state) out << (first ? "" : ", ") << n << ' ' << gstate_name(st), first = false;
  out << ")";
  if (s.runtime.empty() || s.runtime == "goro") out << ", stack " << human_bytes(s.stack_size) << ", sysmon ticks " << s.sysmon_ticks;
  else out << ", " << s.runtime << " (read from its memory while it runs: a best-effort snapshot)";
  if (v.prev) {
    const double dt = seconds_between(*v.prev, s);
    uint64_t now_sw = 0, prev_sw = 0;
    for (const GoroP& p : s.ps) now_sw += p.switches;
    for (const GoroP& p : v.prev->ps) prev_sw += p.switches;
    if (dt > 0 && now_sw >= prev_sw) out << ", " << rate_text(static_cast<double>(now_sw - prev_sw) / dt) << " switches/s";
  }
  if (s.torn) out << ", " << s.torn << " records torn (skipped)";
  for (const GoroG& g : s.gs)
    if (g.long_running) out << ", long-running: G" << g.goid << " (" << short_duration(g.run_ns) << ")";
  out << "\n\n";

  const double dt = v.prev ? seconds_between(*v.prev, s) : 0;
  Table pt({{"P"}, {"STATUS", Align::Left}, {"M"}, {"RUNQ"}, {"RUNNEXT"}, {"SCHEDTICK"}, {"SYSCALLTICK"},
            {"SWITCHES"}, {"SW/S"}, {"CREATED"}, {"STEALS"}});
  for (const GoroP& p : s.ps) {
    if (p.id >= s.gomaxprocs) continue;
    pt.add({std::to_string(p.id), pstatus_name(p.status), id_or_dash(p.m_id), std::to_string(p.runq_len),
            goid_or_dash(p.runnext_goid), std::to_string(p.schedtick), std::to_string(p.syscalltick),
            std::to_string(p.switches), rate_text(p_rate(p, v, dt)), std::to_string(p.gs_created),
            std::to_string(p.steals)});
  }
  pt.print(out);
  out << '\n';

  Table mt({{"M"}, {"TID"}, {"P"}, {"STATE", Align::Left}, {"G", Align::Left}});
  for (const GoroM& m : s.ms)
    mt.add({std::to_string(m.id), std::to_string(m.tid) + (m.tid_alive ? "" : "(gone)"), id_or_dash(m.p_id),
            m_state(m), goid_or_dash(m.cur_goid)});
  mt.print(out);
  out << '\n';

  Table gt({{"GOID"}, {"STATE", Align::Left}, {"WAIT", Align::Left}, {"FOR"}, {"M"}, {"PARENT"},
            {"FLAGS", Align::Left}, {"CREATED AT", Align::Left}, {"START", Align::Left}});
  Sites sites(v);
  for (const GoroG& g : s.gs) {
    if (!visible(g, v)) continue;
    gt.add({std::to_string(g.goid), gstate_name(g.state), g_wait_text(g),
            for_ns(g) ? short_duration(for_ns(g)) : "", id_or_dash(g.m_id), goid_or_dash(g.parent_goid),
            flags_text(g), sites.created(g.create_pc).text, sites.start(g.start_pc).name});
  }
  gt.print(out);
}

void print_gmp_json(std::ostream& out, const GoroSnapshot& s, const GmpView& v) {
  const SchedSummary sum = sched_summary(s, v.now_unix_ns);
  const double dt = v.prev ? seconds_between(*v.prev, s) : 0;
  nlohmann::json runqs = nlohmann::json::array();  // each P's runq, as the SCHED line's [a b]
  uint64_t switches = 0;
  for (const GoroP& p : s.ps) {
    switches += p.switches;
    if (p.id < s.gomaxprocs) runqs.push_back(p.runq_len);
  }
  nlohmann::json hogs = nlohmann::json::array();
  for (const GoroG& g : s.gs)
    if (g.long_running) hogs.push_back(g.goid);
  nlohmann::json sched{{"type", "sched"}, {"pid", s.pid}, {"runtime", s.runtime}, {"time_ns", s.taken_ns}, {"uptime_ms", sum.uptime_ms},
                       {"gomaxprocs", sum.gomaxprocs}, {"idleprocs", sum.idleprocs}, {"threads", sum.threads},
                       {"spinningthreads", sum.spinningthreads}, {"idlethreads", sum.idlethreads},
                       {"runqueue", sum.runqueue}, {"runqs", runqs}, {"gs", s.gs.size()}, {"g_slots", s.g_slots},
                       {"switches", switches}, {"sysmon_ticks", s.sysmon_ticks}, {"stack_size", s.stack_size},
                       {"guard_kind", s.guard_kind}, {"torn", s.torn}, {"long_running", hogs}};
  if (v.prev && dt > 0) {
    uint64_t prev_sw = 0;
    for (const GoroP& p : v.prev->ps) prev_sw += p.switches;
    if (switches >= prev_sw) sched["switches_per_s"] = static_cast<double>(switches - prev_sw) / dt;
  }
  out << json_line(sched) << '\n';
  for (const GoroP& p : s.ps) {
    nlohmann::json j{{"type", "p"}, {"pid", s.pid}, {"id", p.id}, {"status", pstatus_name(p.status)}, {"m", id_json(p.m_id)},
                     {"runq", p.runq_len}, {"runnext", goid_json(p.runnext_goid)}, {"schedtick", p.schedtick},
                     {"syscalltick", p.syscalltick}, {"switches", p.switches}, {"gs_created", p.gs_created},
                     {"steals", p.steals}};
    if (const double r = p_rate(p, v, dt); r >= 0) j["switches_per_s"] = r;
    out << json_line(j) << '\n';
  }
  for (const GoroM& m : s.ms)
    out << json_line({{"type", "m"}, {"pid", s.pid}, {"id", m.id}, {"tid", m.tid}, {"tid_alive", m.tid_alive},
                      {"p", id_json(m.p_id)}, {"state", m_state(m)}, {"spinning", m.spinning},
                      {"in_syscall", m.in_syscall}, {"parked", m.parked}, {"sysmon", m.sysmon},
                      {"g", goid_json(m.cur_goid)}})
        << '\n';
  // The G rows, 100k of them in a big program, are written straight into one buffer, each value
  // that repeats (sites, states, wait reasons) serialized once.
  Sites sites(v);
  Quoted quoted;
  const std::string pid = std::to_string(s.pid);
  std::string buf;
  for (const GoroG& g : s.gs) {
    if (!visible(g, v)) continue;
    const Shown& start = sites.start(g.start_pc);
    const bool parked = g.state != GState::Running;  // a saved context to show
    JsonRow row(buf);
    row.key("created_at").raw(sites.created(g.create_pc).json);
    row.key("flags").raw("[");
    bool any = false;
    for (auto [on, word] : {std::pair{g.main, "\"main\""}, {g.system, "\"system\""}, {g.long_running, "\"long-running\""}})
      if (on) row.raw(any ? "," : "").raw(word), any = true;
    row.raw("]");
    if (parked) row.key("fp").hex_str(g.fp);
    row.key("goid").num(g.goid).key("m").id(g.m_id).key("parent").goid(g.parent_goid);
    if (parked) row.key("pc").hex_str(g.pc);
    row.key("pid").raw(pid).key("run_ns").num(g.run_ns);
    if (parked) row.key("sp").hex_str(g.sp);
    row.key("stack_hi").hex_str(g.stack_hi).key("stack_lo").hex_str(g.stack_lo);
    row.key("start").raw(start.json).key("start_name").raw(start.name_json);
    row.key("state").raw(quoted(gstate_name(g.state))).key("type").raw("\"g\"");
    row.key("wait_ns").num(g.wait_ns).key("wait_reason").raw(quoted(g_wait_text(g)));
    row.end();
    if (buf.size() >= (1 << 16)) out.write(buf.data(), static_cast<std::streamsize>(buf.size())), buf.clear();
  }
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
}

}  // namespace ts::tools
