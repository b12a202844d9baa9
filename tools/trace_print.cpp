// trace_print.cpp: text and JSON renderings of trace events.
#include "trace_print.h"

#include <cinttypes>
#include <cstdio>

#include "format/clone_flags.h"
#include "format/units.h"
#include "sys/text.h"

namespace ts::tools {

namespace {

using nlohmann::json;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;




std::string rel_time(uint64_t ts, uint64_t t0) {
  const uint64_t d = ts > t0 ? ts - t0 : 0;
  return strprintf("%" PRIu64 ".%06" PRIu64, d / 1000000000, d / 1000 % 1000000);
}

// duration_or_dash() shows 0 (unknown: the task was last seen before tracing) as "-".
std::string duration_or_dash(uint64_t ns) { return ns ? short_duration(ns) : "-"; }

json ns_or_null(uint64_t ns) { return ns ? json(ns) : json(nullptr); }

std::string flags_with_signal(const CloneEvent& e) {
  std::string s = clone_flags_text(e.flags);
  if (e.exit_signal > 0) s += "|" + signal_name(e.exit_signal);
  return s;
}

// printable() is sys::printable() of a C string, for the snprintf formats below.
std::string printable(const std::string& s) { return sys::printable(s); }

std::string joined_argv(const ExecEvent& e) { return sys::join_argv(e.argv) + (e.argv_truncated ? " ..." : ""); }

// header_json() starts every event's object: its type, when and where, and the task it is about.
json header_json(const char* type, const EventHeader& h, int32_t pid, int32_t tid, const std::string& comm) {
  return json{{"type", type}, {"ts_ns", h.ts_ns}, {"cpu", h.cpu}, {"pid", pid}, {"tid", tid}, {"comm", comm}};
}

}  // namespace

const char* trace_mode_name(TraceMode m) {
  switch (m) {
    case TraceMode::Clone: return "clone";
    case TraceMode::Exec: return "exec";
    case TraceMode::Exit: return "exit";
    case TraceMode::Sched: return "sched";
  }
  return "?";
}

std::string exit_status_text(const ExitEvent& e) {
  if (e.signal()) return "signal " + signal_name(e.signal()) + (e.core_dumped() ? " (core)" : "");
  return "exit " + std::to_string(e.status());
}

json event_json(const Event& ev) {
  return std::visit(
      Overloaded{
          [](const CloneEvent& e) {
            json j = header_json("clone", e.hdr, e.parent_pid, e.parent_tid, e.parent_comm);
            j.update({{"child_pid", e.child_pid}, {"child_tid", e.child_tid}, {"flags", clone_flag_names(e.flags)},
                      {"flags_raw", e.flags}, {"exit_signal", e.exit_signal > 0 ? json(signal_name(e.exit_signal)) : json(nullptr)},
                      {"kernel_thread", e.kernel_thread}, {"verdict", clone_verdict(e.flags, e.kernel_thread)}});
            return j;
          },
          [](const ExecEvent& e) {
            json j = header_json("exec", e.hdr, e.pid, e.tid, e.comm);
            j.update({{"old_tid", e.old_tid ? json(e.old_tid) : json(nullptr)}, {"filename", e.filename},
                      {"argv", e.argv}, {"argv_truncated", e.argv_truncated}});
            return j;
          },
          [](const ExitEvent& e) {
            json j = header_json("exit", e.hdr, e.pid, e.tid, e.comm);
            j.update({{"scope", e.group_dead ? "process" : "thread"},
                      {"exit_code", e.signal() ? json(nullptr) : json(e.status())},
                      {"signal", e.signal() ? json(signal_name(e.signal())) : json(nullptr)},
                      {"core_dumped", e.core_dumped()}, {"lifetime_ns", e.lifetime_ns}, {"cpu_ns", e.cpu_ns}});
            return j;
          },
          [](const SwitchEvent& e) {
            json j = header_json("switch", e.hdr, e.prev_pid, e.prev_tid, e.prev_comm);
            j.update({{"reason", e.voluntary ? "blocked" : "preempted"}, {"task_state", e.prev_state},
                      {"oncpu_ns", ns_or_null(e.prev_oncpu_ns)}, {"next_pid", e.next_pid}, {"next_tid", e.next_tid},
                      {"next_comm", e.next_comm}, {"next_offcpu_ns", ns_or_null(e.next_offcpu_ns)}});
            return j;
          },
      },
      ev);
}

std::string text_header(TraceMode mode) {
  switch (mode) {
    case TraceMode::Clone:
      return strprintf("%-11s %-16s %7s %7s %7s %7s  %-25s %s", "TIME(s)", "PCOMM", "PID", "TID", "CPID", "CTID", "VERDICT", "FLAGS");
    case TraceMode::Exec:
      return strprintf("%-11s %7s %7s %-16s %-24s %s", "TIME(s)", "PID", "OLDTID", "COMM", "FILENAME", "ARGS");
    case TraceMode::Exit:
      return strprintf("%-11s %7s %7s %-16s %-7s %-22s %9s %9s", "TIME(s)", "PID", "TID", "COMM", "WHAT", "STATUS", "LIFETIME", "CPU");
    case TraceMode::Sched:
      return strprintf("%-11s %3s %7s %-16s %-9s %8s %7s %-16s %8s", "TIME(s)", "CPU", "PREV", "PREV-COMM", "STATE", "ON-CPU",
                 "NEXT", "NEXT-COMM", "OFF-CPU");
  }
  return {};
}

std::string event_text(const Event& ev, uint64_t t0) {
  return std::visit(
      Overloaded{
          [&](const CloneEvent& e) {
            return strprintf("%-11s %-16s %7d %7d %7d %7d  %-25s %s", rel_time(e.hdr.ts_ns, t0).c_str(), printable(e.parent_comm).c_str(),
                       e.parent_pid, e.parent_tid, e.child_pid, e.child_tid,
                       clone_verdict(e.flags, e.kernel_thread).c_str(), flags_with_signal(e).c_str());
          },
          [&](const ExecEvent& e) {
            const std::string old = e.old_tid == 0 ? "?" : e.old_tid != e.tid ? std::to_string(e.old_tid) : "-";
            return strprintf("%-11s %7d %7s %-16s %-24s %s", rel_time(e.hdr.ts_ns, t0).c_str(), e.pid, old.c_str(), printable(e.comm).c_str(),
                       printable(e.filename).c_str(), printable(joined_argv(e)).c_str());
          },
          [&](const ExitEvent& e) {
            return strprintf("%-11s %7d %7d %-16s %-7s %-22s %9s %9s", rel_time(e.hdr.ts_ns, t0).c_str(), e.pid, e.tid,
                       printable(e.comm).c_str(), e.group_dead ? "process" : "thread", exit_status_text(e).c_str(),
                       short_duration(e.lifetime_ns).c_str(), short_duration(e.cpu_ns).c_str());
          },
          [&](const SwitchEvent& e) {
            return strprintf("%-11s %3d %7d %-16s %-9s %8s %7d %-16s %8s", rel_time(e.hdr.ts_ns, t0).c_str(), e.hdr.cpu, e.prev_tid,
                       printable(e.prev_comm).c_str(), e.voluntary ? "blocked" : "preempted", duration_or_dash(e.prev_oncpu_ns).c_str(),
                       e.next_tid, printable(e.next_comm).c_str(), duration_or_dash(e.next_offcpu_ns).c_str());
          },
      },
      ev);
}

json end_json(const TraceEnd& e) {
  return json{{"type", "end"},
              {"pid", e.pid ? json(e.pid) : json(nullptr)},
              {"mode", trace_mode_name(e.mode)},
              {e.summary ? "threads" : "events", e.count},
              {"lost", e.lost},
              {"unread", e.unread},
              {"attach", e.attach},
              {"duration_ns", e.duration_ns}};
}

}  // namespace ts::tools
