// proc_source.cpp: ProcSource, the /proc Source built on libproc2's pids tables.
//
// One pass reads two libproc2 tables and joins them by tgid:
//   - the process table (PIDS_FETCH_TASKS_ONLY): what is per process (command line, user,
//     group CPU times, RSS), read once per process, never once per thread;
//   - the thread table (PIDS_FETCH_THREADS_TOO): what is per task, from each task's stat.
// Named processes (a request's pids) are read from their own files instead (proc_named.h).
// libproc2 4.0 has no context-switch items, so those come from each task's status file,
// parsed by proc_text.cpp with one read() into a stack buffer, and from the second pass on only
// for tasks whose schedstat shows they ran (switch_cache.h); run-queue delay (Field::Delay)
// likewise from each task's schedstat line.
// A task or process that exits between the steps is missing from one side and is dropped.
#include "procfs/proc_source.h"

#include <fcntl.h>
#include <libproc2/pids.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <unordered_map>

#include "model/error.h"
#include "procfs/proc_files.h"
#include "procfs/proc_ids.h"
#include "procfs/proc_named.h"
#include "procfs/proc_text.h"
#include "procfs/switch_cache.h"
#include "sys/clock.h"

namespace ts {

namespace {

constexpr uint64_t kPfKthread = 0x00200000;  // PF_KTHREAD in stat's flags

// Items is the item list of one libproc2 table; add() returns where the item's value will be.
class Items {
 public:
  int add(enum pids_item it) {
    items_.push_back(it);
    return static_cast<int>(items_.size()) - 1;
  }
  enum pids_item* data() { return items_.data(); }
  int size() const { return static_cast<int>(items_.size()); }

 private:
  std::vector<enum pids_item> items_;
};

// Table owns a libproc2 pids_info for one item list.
class Table {
 public:
  explicit Table(Items& items) {
    const int rc = procps_pids_new(&info_, items.data(), items.size());
    if (rc < 0) throw Error("cannot use libproc2 to read /proc: " + std::string(std::strerror(-rc)));
  }
  ~Table() {
    if (info_) procps_pids_unref(&info_);
  }
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  // each() calls fn for every stack of the table: every process of /proc, or with `threads`
  // every task.
  void each(bool threads, const std::function<void(pids_stack*)>& fn) {
    pids_fetch* f = procps_pids_reap(info_, threads ? PIDS_FETCH_THREADS_TOO : PIDS_FETCH_TASKS_ONLY);
    if (!f) throw Error("cannot read /proc (is it mounted?): " + std::string(std::strerror(errno)));
    const int n = f->counts ? f->counts->total : 0;
    for (int i = 0; i < n; ++i) fn(f->stacks[i]);
  }

 private:
  pids_info* info_ = nullptr;
};

// TaskDir holds /proc/TGID/task open for the process whose tasks are being read: libproc2
// returns a process's tasks together, so one open serves them all.
class TaskDir {
 public:
  TaskDir() = default;
  ~TaskDir() { reset(); }
  TaskDir(const TaskDir&) = delete;
  TaskDir& operator=(const TaskDir&) = delete;

  // of() returns a directory fd for /proc/TGID/task, or -1 when the process is gone.
  int of(int32_t tgid) {
    if (tgid != tgid_) {
      reset();
      char path[32];
      std::snprintf(path, sizeof path, "/proc/%d/task", tgid);
      fd_ = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      tgid_ = tgid;
    }
    return fd_;
  }

 private:
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    tgid_ = 0;
  }
  int fd_ = -1;
  int32_t tgid_ = 0;
};

// has_schedstat() tells whether this kernel has /proc/PID/schedstat (CONFIG_SCHED_INFO), where
// Field::Delay is read from; looked at once.
bool has_schedstat() {
  static const bool yes = access("/proc/self/schedstat", R_OK) == 0;
  return yes;
}

#define VAL(idx, type) (stack->head[(idx)].result.type)

class ProcSource final : public Source {
 public:
  ProcSource() = default;

  std::string name() const override { return "proc"; }

  Snapshot snapshot(const Request& req) override {
    Snapshot snap;
    snap.taken_ns = sys::monotonic_ns();
    snap.boot_time_unix_ns = sys::boot_time_unix_ns();
    snap.source = name();
    // Run-queue delay comes from each task's schedstat, which kernels without CONFIG_SCHED_INFO lack.
    snap.fields = req.fields | Field::Ids;
    if (!has_schedstat()) snap.fields &= ~static_cast<Fields>(Field::Delay);

    std::vector<int32_t> pids;
    for (int32_t p : req.pids)
      if (p > 0) pids.push_back(p);
    if (!req.pids.empty() && pids.empty()) return snap;
    std::sort(pids.begin(), pids.end());
    pids.erase(std::unique(pids.begin(), pids.end()), pids.end());

    if (pids.empty()) {
      read_processes(req, snap);
      read_threads(req, snap);
    } else {
      read_named(req, pids, snap);
    }
    ++passes_;
    if (has(req.fields, Field::Layout)) read_layouts(snap);

    // A process whose threads all vanished (or that appeared after the thread pass) is gone.
    std::erase_if(snap.processes, [](const Process& p) { return p.tasks.empty(); });
    for (Process& p : snap.processes) p.sort_tasks();
    return snap;
  }

 private:
  void read_processes(const Request& req, Snapshot& snap) {
    const Fields f = req.fields;
    Items it;
    const int i_pid = it.add(PIDS_ID_PID), i_tgid = it.add(PIDS_ID_TGID), i_ppid = it.add(PIDS_ID_PPID),
              i_cmd = it.add(PIDS_CMD), i_flags = it.add(PIDS_FLAGS), i_nlwp = it.add(PIDS_NLWP);
    const bool times = has(f, Field::Times), mem = has(f, Field::Memory), user = has(f, Field::User),
               cmdline = has(f, Field::Cmdline);
    const int i_ut = times ? it.add(PIDS_TICS_USER) : -1, i_st = times ? it.add(PIDS_TICS_SYSTEM) : -1;
    // VmRSS from status (read for the tgid anyway), as procps 4's ps shows RSS: since Linux 6.2
    // stat's rss is the per-mm counters' central count, behind by up to a batch per CPU.
    const int i_rss = mem ? it.add(PIDS_VM_RSS) : -1, i_vsz = mem ? it.add(PIDS_VSIZE_BYTES) : -1;
    const int i_uid = user ? it.add(PIDS_ID_EUID) : -1, i_user = user ? it.add(PIDS_ID_EUSER) : -1;
    Table table(it);
    TaskDir dir;
    table.each(false, [&](pids_stack* stack) {
      // A listed pid that is really a thread id is not a process: /proc/TID is hidden but readable.
      if (VAL(i_pid, s_int) != VAL(i_tgid, s_int)) return;
      const bool kthread = (VAL(i_flags, ul_int) & kPfKthread) != 0;
      if (kthread && !req.kernel_threads) return;
      Process p;
      p.pid = VAL(i_pid, s_int);
      p.ppid = VAL(i_ppid, s_int);
      p.comm = comm_of(VAL(i_cmd, str), dir, p.pid, p.pid);
      p.kthread = kthread;
      p.nlwp = VAL(i_nlwp, s_int);
      if (times) {
        p.utime_ns = VAL(i_ut, ull_int) * ns_per_tick_;
        p.stime_ns = VAL(i_st, ull_int) * ns_per_tick_;
      }
      if (mem) {
        p.rss_bytes = VAL(i_rss, ul_int) * 1024;
        p.vsize_bytes = VAL(i_vsz, ul_int);
      }
      if (user) {
        p.uid = VAL(i_uid, u_int);
        p.user = VAL(i_user, str) ? VAL(i_user, str) : std::to_string(p.uid);
      }
      // Not libproc2's PIDS_CMDLINE_V: it turns a newline in an argument into a space.
      if (cmdline && !kthread) p.cmdline = procfs::read_cmdline(p.pid);
      snap.processes.push_back(std::move(p));
    });
    std::sort(snap.processes.begin(), snap.processes.end(), [](const Process& a, const Process& b) { return a.pid < b.pid; });
  }

  void read_threads(const Request& req, Snapshot& snap) {
    std::unordered_map<int32_t, size_t> index;
    index.reserve(snap.processes.size() * 2);
    for (size_t i = 0; i < snap.processes.size(); ++i) index.emplace(snap.processes[i].pid, i);

    const Fields f = req.fields;
    Items it;
    const int i_tid = it.add(PIDS_ID_TID), i_tgid = it.add(PIDS_ID_TGID), i_ppid = it.add(PIDS_ID_PPID),
              i_cmd = it.add(PIDS_CMD), i_flags = it.add(PIDS_FLAGS);
    const bool state = has(f, Field::State), times = has(f, Field::Times), sched = has(f, Field::Sched),
               switches = has(f, Field::Switches);
    const Counters counters = counters_of(f);
    const int i_state = state ? it.add(PIDS_STATE) : -1, i_cpu = state ? it.add(PIDS_PROCESSOR) : -1;
    const int i_ut = times ? it.add(PIDS_TICS_USER) : -1, i_st = times ? it.add(PIDS_TICS_SYSTEM) : -1,
              i_start = times || switches ? it.add(PIDS_TICS_BEGAN) : -1;
    const int i_nice = sched ? it.add(PIDS_NICE) : -1, i_prio = sched ? it.add(PIDS_PRIORITY) : -1,
              i_rt = sched ? it.add(PIDS_PRIORITY_RT) : -1, i_pol = sched ? it.add(PIDS_SCHED_CLASS) : -1;
    Table table(it);
    TaskDir dir;
    char path[32];
    char buf[8192];
    table.each(true, [&](pids_stack* stack) {
      auto at = index.find(VAL(i_tgid, s_int));
      if (at == index.end()) return;  // its process was not listed, filtered, or is gone
      Task t;
      t.tid = VAL(i_tid, s_int);
      t.tgid = VAL(i_tgid, s_int);
      t.ppid = VAL(i_ppid, s_int);
      t.comm = comm_of(VAL(i_cmd, str), dir, t.tgid, t.tid);
      t.kthread = (VAL(i_flags, ul_int) & kPfKthread) != 0;
      if (state) {
        t.state = static_cast<char>(VAL(i_state, s_ch));
        t.cpu = VAL(i_cpu, s_int);
      }
      if (times) {
        t.utime_ns = VAL(i_ut, ull_int) * ns_per_tick_;
        t.stime_ns = VAL(i_st, ull_int) * ns_per_tick_;
        t.start_ns = VAL(i_start, ull_int) * ns_per_tick_;
        // libproc2 reads the leader's row from /proc/TGID/stat, whose times are the whole
        // group's (exited threads included); the leader's own are in task/TGID/stat.
        if (t.tid == t.tgid) {
          std::snprintf(path, sizeof path, "%d/stat", t.tid);
          const ssize_t n = procfs::read_small_at(dir.of(t.tgid), path, buf, sizeof buf);
          procfs::StatLine own;
          if (n < 0 || !procfs::parse_stat(std::string_view(buf, static_cast<size_t>(n)), own)) return;  // exited
          t.utime_ns = own.utime * ns_per_tick_;
          t.stime_ns = own.stime * ns_per_tick_;
        }
      }
      if (sched) {
        t.nice = VAL(i_nice, s_int);
        t.prio = VAL(i_prio, s_int);
        t.rtprio = VAL(i_rt, s_int);
        t.policy = static_cast<SchedPolicy>(VAL(i_pol, s_int));
      }
      const auto read = [&](procfs::TaskFile file, char* b, size_t cap) {
        std::snprintf(path, sizeof path, "%d/%s", t.tid, procfs::task_file_name(file));
        return procfs::read_small_at(dir.of(t.tgid), path, b, cap);
      };
      if (!read_counters(read, counters, times || switches ? VAL(i_start, ull_int) : 0, t)) return;  // exited
      snap.processes[at->second].tasks.push_back(std::move(t));
    });
  }

  // Counters is what read_counters() reads besides stat.
  struct Counters {
    bool delay = false;     // run-queue delay and run count, from schedstat
    bool switches = false;  // context switches, from status
    bool detect = false;    // status only when schedstat moved (switches_)
  };

  // counters_of() is what a pass asking `f` reads besides stat; it starts a pass of switches_.
  Counters counters_of(Fields f) {
    Counters c;
    c.switches = has(f, Field::Switches);
    c.delay = has(f, Field::Delay) && has_schedstat();
    // From the second pass on, schedstat tells which tasks ran: only those need status again
    // (switch_cache.h). A one-shot reader without Field::Delay does not pay a schedstat read for it.
    c.detect = c.switches && has_schedstat() && (c.delay || passes_ > 0);
    if (c.detect) switches_.begin_pass();
    return c;
  }

  // read_counters() adds to task `t` (its tid set; `start` its stat's start time in ticks) the
  // counters `c` names, from its files, which `read(procfs::TaskFile, buf, cap)` reads whole
  // (-1 when gone). False when it exited.
  template <class Read>
  bool read_counters(const Read& read, const Counters& c, uint64_t start, Task& t) {
    char buf[8192];
    procfs::SchedStat ss;
    if (c.delay || c.detect) {  // one short line: cpu time, run-queue wait, run count
      const ssize_t n = read(procfs::TaskFile::Schedstat, buf, sizeof buf);
      if (n < 0 || !procfs::parse_schedstat(std::string_view(buf, static_cast<size_t>(n)), ss)) return false;
      if (c.delay) {
        t.run_delay_ns = ss.run_delay_ns;
        t.pcount = ss.pcount;
      }
    }
    if (c.switches) {
      const procfs::Switches* kept = c.detect ? switches_.lookup(t.tid, start, ss) : nullptr;
      procfs::Switches s;
      if (kept) {
        s = *kept;
      } else {
        const ssize_t n = read(procfs::TaskFile::Status, buf, sizeof buf);
        if (n < 0) return false;  // exited since its stat was read
        s = procfs::parse_status_switches(std::string_view(buf, static_cast<size_t>(n)));
        if (c.detect) switches_.store(t.tid, start, ss, s);
      }
      t.nvcsw = s.nvcsw;
      t.nivcsw = s.nivcsw;
    }
    return true;
  }

  // read_named() reads named processes (`pids`) and their tasks from their own files
  // (proc_named.h), kept open across passes (proc_files.h). libproc2's tables read statm and
  // /proc/uptime besides, status twice or thrice, and are set up and freed each pass: what
  // completing the BPF source's hidden groups (init, on some kernels) from /proc cost every pass.
  void read_named(const Request& req, const std::vector<int32_t>& pids, Snapshot& snap) {
    const Counters counters = counters_of(req.fields);
    files_.begin_pass();
    std::vector<int32_t> tids;
    for (int32_t pid : pids) {  // sorted
      std::optional<Process> p = procfs::named_process(files_, pid, req, users_, ns_per_tick_);
      if (!p || !files_.task_ids(pid, tids)) continue;  // gone
      for (int32_t tid : tids) {
        uint64_t start = 0;
        std::optional<Task> t = procfs::named_task(files_, pid, tid, req.fields, ns_per_tick_, &start);
        const auto read = [&](procfs::TaskFile f, char* b, size_t cap) { return files_.read(pid, tid, f, b, cap); };
        if (t && read_counters(read, counters, start, *t)) p->tasks.push_back(std::move(*t));
      }
      snap.processes.push_back(std::move(*p));
    }
    files_.end_pass();
  }

  // comm_of() is a task's name: libproc2's (PIDS_CMD), unless it holds a '.', which is how
  // libproc2 shows every byte that is not printable ASCII; then the kernel's own bytes from
  // /proc/TGID/task/TID/comm, so that an escape, a newline or UTF-8 in a name is the same from
  // either source. Only names with a dot cost that read.
  static std::string comm_of(const char* shown, TaskDir& dir, int32_t tgid, int32_t tid) {
    if (!shown) return {};
    std::string exact;
    if (std::strchr(shown, '.') && procfs::read_comm_at(dir.of(tgid), tid, exact)) return exact;
    return shown;
  }

  void read_layouts(Snapshot& snap) {
    char path[48];
    char buf[1024];
    for (Process& p : snap.processes) {
      std::snprintf(path, sizeof path, "/proc/%d/stat", p.pid);
      const ssize_t n = procfs::read_small(path, buf, sizeof buf);
      procfs::StatLine s;
      if (n <= 0 || !procfs::parse_stat(std::string_view(buf, static_cast<size_t>(n)), s)) continue;
      p.layout.start_code = s.start_code;
      p.layout.end_code = s.end_code;
      p.layout.start_data = s.start_data;
      p.layout.end_data = s.end_data;
      p.layout.start_brk = s.start_brk;
      p.layout.start_stack = s.start_stack;
      // brk itself is not in stat: it is the end of the [heap] mapping in /proc/PID/maps.
    }
  }

  const uint64_t ns_per_tick_ = sys::ns_per_clock_tick();
  uint64_t passes_ = 0;           // snapshots taken by this source
  procfs::SwitchCache switches_;  // tasks' switch counts across passes
  sys::UserNames users_;       // for named processes (the tables name users themselves)
  procfs::ProcFiles files_;    // named processes' files, kept open across passes
};

#undef VAL

}  // namespace

std::unique_ptr<Source> make_proc_source() { return std::make_unique<ProcSource>(); }

}  // namespace ts
