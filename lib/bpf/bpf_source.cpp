// bpf_source.cpp: building the model (Process ⊃ Task) from iter/task records.
#include "bpf/bpf_source.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "bpf/bpf_common.h"
#include "bpf/task_record.h"
#include "model/error.h"
#include "model/run_sort.h"
#include "sys/clock.h"
#include "sys/text.h"

namespace ts::bpf {

namespace {

// kernel_cmdline() is the command line from a leader's kernel-read argv, or nullopt when /proc
// must be asked: argv longer than the bound or unreadable, or rewritten (setproctitle: the
// last byte is not a NUL, and /proc then reads on into the environment).
std::optional<std::string> kernel_cmdline(const task_rec& r, std::string_view tail) {
  if (!(r.have & TASK_REC_HAVE_ARGV) || (r.have & TASK_REC_ARGV_PARTIAL)) return std::nullopt;
  const std::string_view raw = record_argv(r, tail);
  if (!raw.empty() && raw.back() != '\0') return std::nullopt;
  return sys::join_argv(raw);
}

// kArgvBurst is how many new processes in one pass make the next (with Request::argv_once) copy
// argv in the kernel for all rather than read each one's from /proc.
constexpr size_t kArgvBurst = 32;

// GroupAcc gathers what a thread group's records say about the group as a whole.
struct GroupAcc {
  uint64_t utime = 0, stime = 0, rtime = 0;  // raw sums over live threads
  const task_rec* leader = nullptr;          // the leader's record (carries signal totals)
  const task_rec* mm = nullptr;              // first record with an mm
  bool split = false;                        // its records came in more than one stretch
};

// leader_then_tid() is the model's task order (Process::tasks) on records.
bool leader_then_tid(const task_rec* a, const task_rec* b) {
  const bool la = a->pid == a->tgid, lb = b->pid == b->tgid;
  if (la != lb) return la;
  return a->pid < b->pid;
}

}  // namespace

// PendingWalk is the walk loading on a detached thread: shared with it, so a source destroyed (or a
// process quitting) while the verifier works never waits for it.
struct BpfSource::PendingWalk {
  std::mutex mu;
  bool done = false;
  std::unique_ptr<TaskReader> reader;  // when loaded
  std::string error;                   // when it did not load
};

BpfSource::BpfSource(ReaderUse use) : page_size_(static_cast<uint64_t>(sysconf(_SC_PAGESIZE))) {
  const WalkPlan plan = plan_walk(use, walk_why_);
  reader_ = make_task_reader(plan, use, &walk_why_);
  if (plan != WalkPlan::Later) return;
  pending_ = std::make_shared<PendingWalk>();
  std::thread([p = pending_] {
    std::unique_ptr<TaskReader> r;
    std::string error;
    try {
      r = load_walk();
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::lock_guard lock(p->mu);
    p->reader = std::move(r);
    p->error = std::move(error);
    p->done = true;
  }).detach();
}

BpfSource::~BpfSource() = default;

bool BpfSource::adopt_walk() {
  if (!pending_) return false;
  std::unique_lock lock(pending_->mu);
  if (!pending_->done) return false;
  std::unique_ptr<TaskReader> walk = std::move(pending_->reader);
  walk_why_ = walk ? std::string() : pending_->error;
  lock.unlock();
  pending_.reset();
  if (!walk) return false;
  reader_ = std::move(walk);
  return true;
}

void BpfSource::build(std::span<const task_rec* const> recs, const Request& req, std::vector<Process>& out) {
  const Fields f = req.fields | static_cast<Fields>(Field::Ids);
  const bool filter = !req.pids.empty() && !reader_->per_process_iter();
  const size_t base = out.size();
  std::vector<GroupAcc> acc;
  index_.clear();
  int32_t last_tgid = -1;
  size_t last = 0;
  // Each stretch of one group's records in the model's task order first, so that its Tasks are
  // filled in order and never moved (sorting 10k Tasks of a group whose tids wrapped was 5% of a
  // 1 s recorder's CPU; sorting pointers to their records costs a tenth of that).
  order_.assign(recs.begin(), recs.end());
  for (auto run = order_.begin(); run != order_.end();) {
    const int32_t tgid = (*run)->tgid;
    const auto end = std::find_if(run, order_.end(), [tgid](const task_rec* r) { return r->tgid != tgid; });
    sort_runs(run, end, leader_then_tid);
    run = end;
  }
  for (const task_rec* rp : order_) {
    const task_rec& r = *rp;
    if (seen_.empty() || seen_.back() != r.tgid) seen_.push_back(r.tgid);
    if (!req.kernel_threads && (r.flags & TASK_REC_PF_KTHREAD)) continue;
    if (filter && !std::binary_search(req.pids.begin(), req.pids.end(), r.tgid)) continue;
    if (!(r.have & TASK_REC_HAVE_SCHEDINFO)) have_schedinfo_ = false;
    // Threads of one group are usually adjacent in tid order: skip the map for them.
    if (r.tgid != last_tgid) {
      auto [it, fresh] = index_.try_emplace(r.tgid, out.size() - base);
      if (fresh) {
        out.emplace_back().pid = r.tgid;
        acc.emplace_back();
      }
      acc[it->second].split |= !fresh;
      last_tgid = r.tgid;
      last = it->second;
    }
    Process& p = out[base + last];
    GroupAcc& g = acc[last];
    if (r.pid == r.tgid) {
      g.leader = &r;
      if (r.have & TASK_REC_HAVE_GROUP) p.tasks.reserve(static_cast<size_t>(std::max(r.nr_threads, 1)));
    }
    // Prefer a record whose RSS includes the per-CPU deltas (the leader's, normally).
    if ((r.have & TASK_REC_HAVE_MM) && (!g.mm || ((r.have & ~g.mm->have) & TASK_REC_HAVE_RSS_EXACT))) g.mm = &r;
    g.utime += r.utime;
    g.stime += r.stime;
    g.rtime += r.sum_exec_runtime;
    fill_task(r, f, p.tasks.emplace_back(), reader_->tail(r));
  }

  for (size_t i = 0; i < acc.size(); ++i) {
    Process& p = out[base + i];
    const GroupAcc& g = acc[i];
    // A group whose leader we did not see (filtered out, or a race) is described by its first thread.
    const task_rec* head = g.leader;
    const Task& first = p.tasks.front();
    p.ppid = head ? head->ppid : first.ppid;
    p.kthread = first.kthread;
    const bool group = head && (head->have & TASK_REC_HAVE_GROUP);
    p.nlwp = group ? head->nr_threads : static_cast<int32_t>(p.tasks.size());
    if (has(f, Field::Times)) {
      if (group) {
        // As /proc/PID/stat: exited threads' totals (signal_struct) plus the live threads,
        // scaled to the precise runtime against the group's own prev_cputime.
        const CpuTimes c = cputime_adjust({head->sig_utime + g.utime, head->sig_stime + g.stime},
                                          head->sig_sum_exec_runtime + g.rtime,
                                          {head->sig_prev_utime, head->sig_prev_stime});
        p.utime_ns = c.utime;
        p.stime_ns = c.stime;
      } else {
        for (const Task& t : p.tasks) {
          p.utime_ns += t.utime_ns;
          p.stime_ns += t.stime_ns;
        }
      }
    }
    if (has(f, Field::User)) {
      p.uid = head ? head->uid : 0;
      if (head) p.user = users_.name(p.uid);
    }
    if (g.mm) {
      const task_rec& m = *g.mm;
      if (has(f, Field::Memory)) {
        const int64_t pages = std::max<int64_t>(0, m.rss_file) + std::max<int64_t>(0, m.rss_anon) +
                              std::max<int64_t>(0, m.rss_shmem);
        p.rss_bytes = static_cast<uint64_t>(pages) * page_size_;
        p.vsize_bytes = m.total_vm * page_size_;
      }
      if (has(f, Field::Layout)) {
        p.layout = {m.start_code, m.end_code, m.start_data, m.end_data, m.start_brk, m.brk, m.start_stack};
      }
    }
    if (has(f, Field::Cmdline) && !p.kthread) {
      // argv_once: a process seen before, and not exec'd since, keeps its command line.
      const bool once = argv_once_ && head && (head->have & TASK_REC_HAVE_GROUP);
      auto known = once ? argv_known_.find(p.pid) : argv_known_.end();
      if (known != argv_known_.end() &&
          (known->second.start_time != head->start_time || known->second.exec_id != head->exec_id)) {
        argv_known_.erase(known);  // a new process with the same pid, or the same one after an exec
        known = argv_known_.end();
      }
      std::optional<std::string> k = head ? kernel_cmdline(*head, reader_->tail(*head)) : std::nullopt;
      if (k) {
        p.cmdline = std::move(*k);
      } else if (known != argv_known_.end() && known->second.learned) {
        p.cmdline = known->second.cmdline;
      } else {
        cmdline_wanted_.push_back(p.pid);
        argv_missed_ += once && known == argv_known_.end();
      }
      if (once && (known == argv_known_.end() || k))
        argv_known_[p.pid] = KnownArgv{head->start_time, head->exec_id, k ? p.cmdline : std::string(), k.has_value()};
      if (once) argv_live_.push_back(p.pid);
    }
    if (g.split) p.sort_tasks();  // each stretch is in order, not the whole
    // The leader's name, or the first thread's when the leader was not seen (filtered, or a race).
    p.comm = p.tasks.front().comm;
  }
}

Snapshot BpfSource::snapshot(const Request& req) {
  adopt_walk();
  Snapshot s;
  s.taken_ns = sys::monotonic_ns();
  s.boot_time_unix_ns = sys::boot_time_unix_ns();
  s.source = "bpf";
  have_schedinfo_ = true;
  seen_.clear();
  cmdline_wanted_.clear();
  tasks_seen_ = 0;
  // argv_once reads argv in the kernel only while the known command lines are few (the first
  // pass) or after a burst of new processes (cheaper in one walk than one /proc read each).
  const bool once = argv_once_ = req.argv_once && req.pids.empty();
  const bool argv = has(req.fields, Field::Cmdline) && (!once || argv_known_.empty() || argv_missed_ > kArgvBurst);
  const uint32_t want = (has(req.fields, Field::Memory) || has(req.fields, Field::Layout) ? kWantMm : 0) | (argv ? kWantArgv : 0);
  argv_walks_ += argv;
  argv_missed_ = 0;
  argv_live_.clear();
  if (req.pids.empty() || !reader_->per_process_iter()) {
    Request sorted = req;
    std::sort(sorted.pids.begin(), sorted.pids.end());
    // Kernel threads are read even when not shown: seen_ must know them, or a completion
    // from /proc would read every one of them.
    const auto recs = reader_->read_all(want);
    tasks_seen_ = recs.size();
    build(recs, sorted, s.processes);
  } else {
    std::vector<int32_t> pids = req.pids;
    std::sort(pids.begin(), pids.end());
    pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
    for (int32_t pid : pids) build(reader_->read_group(pid, want), req, s.processes);
  }
  auto by_pid = [](const Process& a, const Process& b) { return a.pid < b.pid; };
  if (!std::is_sorted(s.processes.begin(), s.processes.end(), by_pid))
    std::sort(s.processes.begin(), s.processes.end(), by_pid);
  Fields filled = (req.fields | static_cast<Fields>(Field::Ids)) & kAllFields;
  if (!have_schedinfo_ && has(req.fields, Field::Delay)) {
    filled &= ~static_cast<Fields>(Field::Delay);
    s.notes.push_back("run-queue delay is unknown: this kernel keeps no sched_info (CONFIG_SCHED_INFO)");
  }
  if (has(req.fields, Field::Memory) && !reader_->exact_rss())
    s.notes.push_back("RSS is the kernel's central count, which may lag ps's (VmRSS) by up to 32 pages per CPU: "
                      "the program that adds the per-CPU counts did not load (" + reader_->rss_refused() + ")");
  s.fields = filled;
  std::sort(seen_.begin(), seen_.end());
  std::sort(cmdline_wanted_.begin(), cmdline_wanted_.end());
  if (once) {  // forget the processes that are gone
    std::sort(argv_live_.begin(), argv_live_.end());
    std::erase_if(argv_known_, [&](const auto& kv) { return !std::binary_search(argv_live_.begin(), argv_live_.end(), kv.first); });
  } else {
    argv_known_.clear();
  }
  return s;
}

void BpfSource::learn_cmdline(int32_t pid, const std::string& cmdline) {
  auto it = argv_known_.find(pid);
  if (it == argv_known_.end() || it->second.learned) return;
  it->second.cmdline = cmdline;
  it->second.learned = true;
}

std::unique_ptr<BpfSource> make_bpf_source(ReaderUse use) {
  const Support sup = probe_support();
  if (!sup.usable) throw Error(sup.why);
  return std::make_unique<BpfSource>(use);
}

}  // namespace ts::bpf
