// bpf_source.cpp: building the model (Process ⊃ Task) from iter/task records.
#include "bpf/bpf_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "bpf/bpf_common.h"
#include "model/error.h"
#include "procfs/proc_source.h"
#include "procfs/proc_text.h"
#include "sys/clock.h"
#include "sys/text.h"

namespace ts::bpf {

namespace {

// kernel_cmdline() is the command line from a leader's kernel-read argv, or nullopt when /proc
// must be asked: argv longer than the bound or unreadable, or rewritten (setproctitle: the
// last byte is not a NUL, and /proc then reads on into the environment).
std::optional<std::string> kernel_cmdline(const task_rec& r) {
  if (!(r.have & TASK_REC_HAVE_ARGV) || (r.have & TASK_REC_ARGV_PARTIAL)) return std::nullopt;
  const std::string_view raw = record_argv(r);
  if (!raw.empty() && raw.back() != '\0') return std::nullopt;
  return sys::join_argv(raw);
}

// proc_tgids() lists the thread groups /proc shows (its numeric entries), sorted.
std::vector<int32_t> proc_tgids() {
  std::vector<int32_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (const dirent* e = readdir(d)) {
    const char* n = e->d_name;
    if (*n < '1' || *n > '9') continue;
    char* end = nullptr;
    const long v = std::strtol(n, &end, 10);
    if (*end == '\0' && v > 0 && v <= INT32_MAX) out.push_back(static_cast<int32_t>(v));
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// GroupAcc gathers what a thread group's records say about the group as a whole.
struct GroupAcc {
  uint64_t utime = 0, stime = 0, rtime = 0;  // raw sums over live threads
  const task_rec* leader = nullptr;          // the leader's record (carries signal totals)
  const task_rec* mm = nullptr;              // first record with an mm
};

}  // namespace

BpfSource::BpfSource() : page_size_(static_cast<uint64_t>(sysconf(_SC_PAGESIZE))) {
  if (!reader_.per_process_iter())
    notes_.push_back("the kernel has no per-process task iterator (Linux < 6.1): a pid filter reads every task "
                     "and filters in user space");
  if (!reader_.exact_rss())
    notes_.push_back("RSS comes from the kernel's central counters (this_cpu_off is not in kallsyms): like "
                     "/proc/PID/stat, it may lag /proc/PID/status by up to one counter batch (>= 32 pages) per CPU");
}

const std::string& BpfSource::user_name(uint32_t uid) {
  auto it = users_.find(uid);
  if (it != users_.end()) return it->second;
  std::string name;
  passwd pw{}, *res = nullptr;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res) name = res->pw_name;
  else name = std::to_string(uid);
  return users_.emplace(uid, std::move(name)).first->second;
}

void BpfSource::build(std::span<const task_rec* const> recs, const Request& req, std::vector<Process>& out) {
  const Fields f = req.fields | static_cast<Fields>(Field::Ids);
  const bool filter = !req.pids.empty() && !reader_.per_process_iter();
  const size_t base = out.size();
  std::vector<GroupAcc> acc;
  index_.clear();
  int32_t last_tgid = -1;
  size_t last = 0;
  for (const task_rec* rp : recs) {
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
    fill_task(r, f, p.tasks.emplace_back());
  }

  for (size_t i = 0; i < acc.size(); ++i) {
    Process& p = out[base + i];
    const GroupAcc& g = acc[i];
    // A group whose leader we did not see (filtered out, or a race) is described by its first thread.
    const task_rec* head = g.leader;
    const Task& first = p.tasks.front();
    p.ppid = head ? head->ppid : first.ppid;
    p.comm = head ? std::string(head->comm, strnlen(head->comm, sizeof head->comm)) : first.comm;
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
      if (head) p.user = user_name(p.uid);
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
      std::optional<std::string> k = head ? kernel_cmdline(*head) : std::nullopt;
      p.cmdline = k ? std::move(*k) : procfs::read_cmdline(p.pid);
    }
    p.sort_tasks();
  }
}

Snapshot BpfSource::snapshot(const Request& req) {
  Snapshot s;
  s.taken_ns = sys::monotonic_ns();
  s.boot_time_unix_ns = sys::boot_time_unix_ns();
  s.source = "bpf";
  have_schedinfo_ = true;
  seen_.clear();
  if (req.pids.empty() || !reader_.per_process_iter()) {
    Request sorted = req;
    std::sort(sorted.pids.begin(), sorted.pids.end());
    // Kernel threads are read even when not shown: seen_ must know them, or the completion
    // from /proc would read every one of them.
    build(reader_.read_all(false), sorted, s.processes);
  } else {
    std::vector<int32_t> pids = req.pids;
    std::sort(pids.begin(), pids.end());
    pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
    for (int32_t pid : pids) build(reader_.read_group(pid), req, s.processes);
  }
  auto by_pid = [](const Process& a, const Process& b) { return a.pid < b.pid; };
  if (!std::is_sorted(s.processes.begin(), s.processes.end(), by_pid))
    std::sort(s.processes.begin(), s.processes.end(), by_pid);
  Fields filled = (req.fields | static_cast<Fields>(Field::Ids)) & kAllFields;
  if (!have_schedinfo_) filled &= ~static_cast<Fields>(Field::Delay);
  s.fields = filled;
  std::vector<int32_t> wanted = req.pids;
  if (wanted.empty()) {
    wanted = proc_tgids();
  } else {
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  }
  complete_from_proc(req, std::move(wanted), s);
  return s;
}

void BpfSource::complete_from_proc(const Request& req, std::vector<int32_t> wanted, Snapshot& s) {
  from_proc_.clear();
  // Keep what the iterator did not return (shown or filtered out).
  std::sort(seen_.begin(), seen_.end());
  std::erase_if(wanted, [this](int32_t pid) { return std::binary_search(seen_.begin(), seen_.end(), pid); });
  if (wanted.empty()) return;
  if (!proc_) proc_ = make_proc_source();
  Request r = req;
  r.pids = std::move(wanted);
  Snapshot extra = proc_->snapshot(r);
  if (extra.processes.empty()) return;  // gone, or kernel threads not asked for
  for (Process& p : extra.processes) {
    from_proc_.push_back(p.pid);
    s.processes.push_back(std::move(p));
  }
  std::sort(s.processes.begin(), s.processes.end(), [](const Process& a, const Process& b) { return a.pid < b.pid; });
  s.fields &= extra.fields;
}

std::unique_ptr<Source> make_bpf_source() {
  const Support sup = probe_support();
  if (!sup.usable) throw Error(sup.why);
  return std::make_unique<BpfSource>();
}

}  // namespace ts::bpf
