// top_model.cpp: the task table's rows: filter, sort, tree, LWPs under their process, dying rows,
// the M↔LWP labels, and a selection that stays on its pid/tid.
#include "view/top_model.h"

#include <algorithm>
#include <functional>
#include <map>
#include <tuple>


namespace ts::view {

namespace {

}  // namespace

bool delay_shown(const Frame& f) { return has(f.snap.fields, Field::Delay) || f.snap.source == "bpf"; }

namespace {

// known_rate() is a RowRate with the CPU and switch rates of `x` (a TaskRate or a ProcessRate).
RowRate known_rate(const auto& x) {
  RowRate r;
  r.known = true;
  r.cpu_pct = x.cpu_pct;
  r.nvcsw_ps = x.nvcsw_ps;
  r.nivcsw_ps = x.nivcsw_ps;
  return r;
}

RowRate task_rate(const Frame& f, const Task& t) {
  RowRate r;
  if (auto it = f.rates.find(t.tid); it != f.rates.end()) r = known_rate(it->second);
  if (auto it = f.run_delay_ms_ps.find(t.tid); it != f.run_delay_ms_ps.end()) {
    r.delay_known = true;
    r.run_delay_ms_ps = it->second;
  }
  return r;
}

RowRate process_rate(const Frame& f, const Process& p) {
  RowRate r;
  if (auto it = f.process_rates.find(p.pid); it != f.process_rates.end()) {
    r = known_rate(it->second);
    r.delay_known = has(f.snap.fields, Field::Delay);  // not a sum over nothing
    r.run_delay_ms_ps = it->second.run_delay_ms_ps;
  }
  return r;
}

const Task* first_task(const Process& p) {
  const Task* t = p.leader();
  return t ? t : p.tasks.empty() ? nullptr : &p.tasks.front();
}

// Group is one process with the LWP rows it may show under it.
struct Group {
  Row proc;
  std::vector<Row> threads;
};

bool user_ok(const Process& p, const std::string& user) {
  return user.empty() || p.user == user || std::to_string(p.uid) == user;
}

}  // namespace

std::vector<std::string_view> top_column_ids(TableMode mode, bool delay) {
  std::vector<std::string_view> ids{"pid"};
  if (mode == TableMode::Threads) ids.push_back("tid");
  for (std::string_view id : {"user", "pri", "ni", "virt", "res", "state", "pcpu", "pmem", "timeplus", "nlwp",
                              "nvcsw_ps", "nivcsw_ps"})
    ids.push_back(id);
  if (delay) ids.push_back("delay");
  ids.push_back("rt");
  ids.push_back("command");
  return ids;
}

Fields top_fields(const std::vector<std::string_view>& shown, const TopState& st) {
  Fields f = fields_for(columns(shown)) | Field::State;
  if (const ColumnSpec* by = find_column(st.sort); by && by->sort.key) f = f | by->needs;
  return f;
}

Fields top_fields(const TopState& st, bool delay) { return top_fields(top_column_ids(st.mode, delay), st); }

GoroLabels goro_labels(const Frame& f, const SymbolizeFn& symbolize, bool utf8) {
  GoroLabels out;
  const char* arrow = utf8 ? " \u2192 " : " -> ";
  for (const auto& [pid, g] : f.goro) {
    for (const GoroM& m : g.ms) {
      if (m.tid <= 0) continue;
      std::string s = "M" + std::to_string(m.id);
      if (m.cur_goid) {
        s += arrow + std::string("G") + std::to_string(m.cur_goid);
        const GoroG* gr = g.find_g(m.cur_goid);
        if (gr && gr->start_pc && symbolize) {
          const std::string fn = symbolize(pid, gr->start_pc);
          if (!fn.empty()) s += " " + fn + "()";
        }
        if (m.in_syscall) s += " (syscall)";
      } else {
        s += m.in_syscall ? " syscall" : m.spinning ? " spinning" : m.parked ? " parked" : " idle";
      }
      if (m.p_id >= 0) s += " P" + std::to_string(m.p_id);
      out[m.tid] = std::move(s);
    }
  }
  return out;
}

bool text_contains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  auto low = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                     [&](char a, char b) { return low(static_cast<unsigned char>(a)) == low(static_cast<unsigned char>(b)); }) != hay.end();
}

bool row_matches(const Row& r, std::string_view needle) {
  if (needle.empty()) return true;
  if (!r.whole_process) return text_contains(r.task->comm, needle);
  return text_contains(r.proc->cmdline, needle) || text_contains(r.proc->comm, needle);
}

TableKey table_key(const Frame& f, const TopState& st, const GoroLabels& labels) {
  return TableKey{&f, f.seq, &labels, st.mode, st.tree, st.sort, st.sort_reversed, st.filter, st.user, st.tagged};
}

TableView build_table(const Frame& f, const TopState& st, const GoroLabels& labels) {
  TableView v;
  v.built_from = table_key(f, st, labels);
  const bool threads = st.mode == TableMode::Threads;
  v.cols = columns(top_column_ids(st.mode, delay_shown(f)));
  v.env = render_env(f.snap);
  v.env.mem_total = f.machine.mem_total;
  const ColumnSpec* by = find_column(st.sort);
  if (!by || !by->sort.key) by = &column("pcpu");

  // The groups: live processes, then processes that ended whole since the last frame.
  std::map<int32_t, const Process*> dying_of;  // pid -> its ended tasks
  for (const Process& d : f.dying) dying_of[d.pid] = &d;
  std::vector<Group> groups;
  groups.reserve(f.snap.processes.size() + f.dying.size());
  auto add_group = [&](const Process& p, bool dying) {
    const Task* lead = first_task(p);
    if (!lead || !user_ok(p, st.user)) return;
    Group g;
    const auto rt = f.runtimes.find(p.pid);
    const std::string* runtime = rt == f.runtimes.end() ? nullptr : &rt->second;
    g.proc = Row{&p, lead, true, dying, dying ? RowRate{} : process_rate(f, p), nullptr, runtime};
    if (threads) {
      g.threads.reserve(p.tasks.size());
      for (const Task& t : p.tasks) {
        auto l = labels.find(t.tid);
        g.threads.push_back(Row{&p, &t, false, dying, dying ? RowRate{} : task_rate(f, t),
                                l == labels.end() ? nullptr : &l->second, runtime});
      }
      auto d = dying_of.find(p.pid);
      if (!dying && d != dying_of.end())
        for (const Task& t : d->second->tasks) g.threads.push_back(Row{d->second, &t, false, true, {}, nullptr, runtime});
      if (g.threads.size() < 2) g.threads.clear();  // a lone thread is its process row
    }
    const bool proc_hit = row_matches(g.proc, st.filter);
    if (!proc_hit) {
      // The process shows when one of its threads matches; in thread mode, with those only.
      bool any = false;
      for (const Task& t : p.tasks) any = any || text_contains(t.comm, st.filter);
      if (!any) return;
      std::erase_if(g.threads, [&](const Row& r) { return !row_matches(r, st.filter); });
    }
    groups.push_back(std::move(g));
  };
  for (const Process& p : f.snap.processes) add_group(p, false);
  for (const Process& d : f.dying)
    if (!f.snap.find(d.pid)) add_group(d, true);

  for (Group& g : groups) sort_rows(g.threads, *by, st.sort_reversed);
  std::vector<size_t> order;
  {
    std::vector<Row> procs;
    procs.reserve(groups.size());
    for (const Group& g : groups) procs.push_back(g.proc);
    std::unordered_map<int32_t, size_t> at;  // a process row's group, by pid (one group per pid)
    at.reserve(groups.size());
    for (size_t i = 0; i < groups.size(); ++i) at.emplace(groups[i].proc.proc->pid, i);
    sort_rows(procs, *by, st.sort_reversed);
    order.reserve(procs.size());
    for (const Row& r : procs) order.push_back(at.at(r.proc->pid));
  }

  // emit() appends a group's process row and its LWPs, then (tree) its children.
  std::map<int32_t, std::vector<size_t>> children;  // ppid -> groups, in sort order (tree only)
  std::function<void(size_t, int, std::vector<bool>)> emit = [&](size_t gi, int depth, std::vector<bool> last) {
    const Group& g = groups[gi];
    DisplayRow pr{g.proc, RowId{g.proc.proc->pid, 0}, depth, last, false, st.tagged.count({g.proc.proc->pid, 0}) > 0};
    v.rows.push_back(std::move(pr));
    const std::vector<size_t>* kids = nullptr;
    if (st.tree) {
      auto it = children.find(g.proc.proc->pid);
      if (it != children.end()) kids = &it->second;
    }
    const size_t nkids = kids ? kids->size() : 0;
    for (size_t i = 0; i < g.threads.size(); ++i) {
      const Row& r = g.threads[i];
      std::vector<bool> l = last;
      l.push_back(i + 1 == g.threads.size() && nkids == 0);
      const RowId id{r.proc->pid, r.task->tid};
      v.rows.push_back(DisplayRow{r, id, depth + 1, std::move(l), true, st.tagged.count(id) > 0});
    }
    for (size_t i = 0; i < nkids; ++i) {
      std::vector<bool> l = last;
      l.push_back(i + 1 == nkids);
      emit((*kids)[i], depth + 1, std::move(l));
    }
  };
  size_t total = 0;
  for (const Group& g : groups) total += 1 + g.threads.size();
  v.rows.reserve(total);
  if (!st.tree) {
    for (size_t gi : order) emit(gi, 0, {});
  } else {
    std::map<int32_t, size_t> shown;  // pid -> group
    for (size_t gi : order) shown[groups[gi].proc.proc->pid] = gi;
    std::vector<size_t> roots;
    for (size_t gi : order) {
      const Process* p = groups[gi].proc.proc;
      if (p->ppid != p->pid && shown.count(p->ppid)) children[p->ppid].push_back(gi);
      else roots.push_back(gi);
    }
    for (size_t gi : roots) emit(gi, 0, {});
  }
  return v;
}

void settle_selection(TopState& st, TableView& v, int page) {
  const int n = static_cast<int>(v.rows.size());
  page = std::max(page, 1);
  if (n == 0) {
    v.selected = -1;
    st.scroll = 0;
    return;
  }
  int i = -1;
  for (int k = 0; k < n; ++k)
    if (v.rows[size_t(k)].id == st.selected) {
      i = k;
      break;
    }
  if (i < 0) {
    i = std::clamp(st.selected_index, 0, n - 1);
    st.selected = v.rows[size_t(i)].id;
  }
  st.selected_index = i;
  if (st.follow) st.scroll = i - std::clamp(st.screen_line, 0, page - 1);
  if (i < st.scroll) st.scroll = i;
  if (i >= st.scroll + page) st.scroll = i - page + 1;
  st.scroll = std::clamp(st.scroll, 0, std::max(0, n - page));
  st.screen_line = i - st.scroll;
  v.selected = i;
}

int row_for_pid(const TableView& v, int32_t pid) {
  for (size_t i = 0; i < v.rows.size(); ++i)
    if (v.rows[i].id == RowId{pid, 0}) return static_cast<int>(i);
  return -1;
}

}  // namespace ts::view
