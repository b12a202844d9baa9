// events_pane.cpp: events as lines, with the clone's verdict.
#include "view/events_pane.h"

#include <cstdio>
#include <ctime>

#include "format/clone_flags.h"
#include "format/units.h"
#include "sys/text.h"
#include "view/top_model.h"

namespace ts::view {

namespace {

std::string task(int32_t pid, int32_t tid, const std::string& comm) {
  std::string s = std::to_string(pid);
  if (tid && tid != pid) s += "/" + std::to_string(tid);
  return s + " (" + comm + ")";
}

std::string clock_text(uint64_t ts_ns, uint64_t wall_offset_ns) {
  const uint64_t wall = ts_ns + wall_offset_ns;
  const time_t t = static_cast<time_t>(wall / 1000000000ull);
  struct tm tm {};
  localtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(wall / 1000000 % 1000));
  return buf;
}

Style kind_style(const std::string& k) {
  return k == "clone" ? Style::MeterUser : k == "exec" ? Style::MeterIrq : Style::MeterSystem;
}

}  // namespace

bool event_line(const Event& ev, EventLine& out) {
  if (const auto* c = std::get_if<CloneEvent>(&ev)) {
    out = EventLine{c->hdr.ts_ns, c->parent_pid, c->child_pid, "clone",
                    task(c->parent_pid, c->parent_tid, c->parent_comm) + " -> " + std::to_string(c->child_pid) +
                        (c->child_tid != c->child_pid ? "/" + std::to_string(c->child_tid) : "") + "  " +
                        clone_verdict(c->flags, c->kernel_thread) + "  " + clone_flags_text(c->flags)};
    return true;
  }
  if (const auto* x = std::get_if<ExecEvent>(&ev)) {
    out = EventLine{x->hdr.ts_ns, x->pid, 0, "exec",
                    task(x->pid, x->tid, x->comm) + "  " + sys::join_argv(x->argv) + (x->argv_truncated ? " ..." : "")};
    return true;
  }
  if (const auto* e = std::get_if<ExitEvent>(&ev)) {
    std::string how = e->signal() ? "signal " + signal_name(e->signal()) + (e->core_dumped() ? " (core)" : "")
                                  : "exit " + std::to_string(e->status());
    out = EventLine{e->hdr.ts_ns, e->pid, 0, "exit",
                    task(e->pid, e->tid, e->comm) + "  " + (e->group_dead ? "process " : "thread ") + how +
                        ", lived " + short_duration(e->lifetime_ns) + ", cpu " + short_duration(e->cpu_ns)};
    return true;
  }
  return false;
}

void EventLog::add(const Frame& f) {
  if (f.seq != 0 && f.seq == last_seq_) return;
  last_seq_ = f.seq;
  on_ = f.events_on;
  starting_ = f.events_starting;
  lost_ = f.events_lost;
  for (const Event& e : f.events) {
    EventLine l;
    if (!event_line(e, l)) continue;
    ++seen_;
    lines_.push_back(std::move(l));
    if (lines_.size() > cap_) lines_.pop_front();
  }
}

std::vector<const EventLine*> EventLog::of(int32_t pid) const {
  std::vector<const EventLine*> out;
  for (const EventLine& l : lines_)
    if (l.pid == pid || l.child_pid == pid) out.push_back(&l);
  return out;
}

Line event_text_line(const EventLine& e, uint64_t wall_offset_ns, bool utf8) {
  Line l;
  l.add(clock_text(e.ts_ns, wall_offset_ns) + "  ", Style::Dim);
  char kind[16];
  std::snprintf(kind, sizeof kind, "%-6s", e.kind.c_str());
  l.add(kind, kind_style(e.kind)).add(" ");
  l.add(safe_text(e.text, utf8));
  return l;
}

std::vector<Line> events_pane_lines(const EventLog& log, uint64_t wall_offset_ns, bool utf8, std::string_view filter) {
  std::vector<Line> out;
  Line title;
  title.add("Events", Style::Title);
  if (log.starting()) {
    title.add("  (starting the clone/exec/exit tracer...)", Style::Dim);
  } else if (!log.on()) {
    title.add("  (off: clone/exec/exit tracing needs BPF: run as root, or with CAP_BPF and CAP_PERFMON)", Style::Warning);
  } else {
    title.add("  " + std::to_string(log.seen()) + " seen, " + std::to_string(log.lines().size()) + " kept", Style::Dim);
    if (!filter.empty()) title.add(", matching '" + safe_text(filter, utf8) + "'", Style::Dim);
    if (log.lost()) title.add(", " + std::to_string(log.lost()) + " lost (ring buffer full)", Style::Warning);
  }
  out.push_back(std::move(title));
  for (auto it = log.lines().rbegin(); it != log.lines().rend(); ++it)
    if (text_contains(it->text, filter) || text_contains(it->kind, filter)) out.push_back(event_text_line(*it, wall_offset_ns, utf8));
  return out;
}

}  // namespace ts::view
