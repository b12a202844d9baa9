// bpf_source.h: BpfSource, a Source that reads every task_struct through one BPF task iterator.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bpf/task_reader.h"
#include "model/source.h"
#include "sys/user_names.h"

namespace ts::bpf {

// BpfSource takes snapshots from a BPF snapshot program (task_reader.h: the open-coded walk where
// the kernel has it, Linux 6.7+, else the iter/task iterator): one pass returns every task's ids,
// state, times, priorities, switch counts, schedstats, mm layout/RSS, kernel threads' full
// names and (when the kernel accepts the sleepable program, Linux 5.18+) each process's argv,
// without opening a /proc file. Ids are numbered in this process's pid namespace, and tasks
// outside it are not listed. What it cannot read it leaves for lib/sources to complete from
// /proc, and says which: command lines longer than TASK_ITER_ARGV_MAX (4 KiB), rewritten by
// setproctitle, or all of them on kernels that refuse the sleepable program (cmdline_wanted()),
// and the thread groups some kernels hide from iterators (seen() lists what it did see).
// User names come from the passwd database (cached per uid).
// Not thread-safe: one snapshot at a time.
class BpfSource : public Source {
 public:
  // BpfSource() loads the program once (plan_walk(), make_task_reader()) for `use`. Throws ts::Error
  // when it cannot. A repeating source may start on the iterator and load the open-coded walk on a
  // thread of its own; a later snapshot() adopts it once loaded (WalkPlan::Later).
  explicit BpfSource(ReaderUse use = ReaderUse::OneShot);
  ~BpfSource() override;
  BpfSource(const BpfSource&) = delete;
  BpfSource& operator=(const BpfSource&) = delete;
  // name() is "bpf".
  std::string name() const override { return "bpf"; }
  // snapshot() runs one pass of the program (one per pid when the request names pids and the
  // program can read one process) and builds the model; the walk reads mm and argv only when the
  // request's fields need them. Exited tasks are simply absent.
  // Its notes say what it could not read of what was asked (approximate RSS, no schedstats).
  Snapshot snapshot(const Request& req) override;
  // seen() lists, sorted, the thread groups the last snapshot's iterator returned, shown or
  // filtered out (kernel threads are read even when not asked for, to be listed here). Some
  // kernels hide tasks from BPF iterators (this project's CI VM hides its init, pid 1).
  const std::vector<int32_t>& seen() const { return seen_; }
  // cmdline_wanted() lists, sorted, the processes of the last snapshot whose command line was
  // asked for and could not be read in the kernel (their cmdline is left empty).
  const std::vector<int32_t>& cmdline_wanted() const { return cmdline_wanted_; }
  // tasks_seen() counts the records the last snapshot's iterator returned when it read every task
  // (kernel threads and filtered-out tasks included); 0 after a snapshot of named pids.
  size_t tasks_seen() const { return tasks_seen_; }
  // reader() is the snapshot program in use ("walk" or "iter": reader().name()).
  TaskReader& reader() { return *reader_; }
  // walk_why() is why the open-coded walk is not in use (empty when it is).
  const std::string& walk_why() const { return walk_why_; }
  // walk_loading() tells whether the walk is still loading beside the reads (WalkPlan::Later);
  // adopt_walk() then takes it when it is ready (snapshot() calls it first) and tells whether the
  // reader changed.
  bool walk_loading() const { return pending_ != nullptr; }
  bool adopt_walk();
  // learn_cmdline() keeps `cmdline`, read from /proc for process `pid` of the last snapshot's
  // cmdline_wanted(), for later snapshots that ask Request::argv_once (see argv_walks()).
  void learn_cmdline(int32_t pid, const std::string& cmdline);
  // argv_walks() counts the passes that copied argv in the kernel. With Request::argv_once (an
  // exec is told by the leader's exec count, task_struct's self_exec_id) only the first pass and those after
  // a burst of new processes do: a process seen before keeps its command line, a new one is read
  // from /proc (cmdline_wanted()).
  uint64_t argv_walks() const { return argv_walks_; }

 private:
  // build() turns records into processes, appending to `out` (which must be sorted afterwards).
  void build(std::span<const task_rec* const> recs, const Request& req, std::vector<Process>& out);

  struct PendingWalk;  // the walk loading on a thread of its own
  std::string walk_why_;
  std::unique_ptr<TaskReader> reader_;
  std::shared_ptr<PendingWalk> pending_;
  std::vector<int32_t> seen_;            // tgids the iterator returned this snapshot, shown or filtered out
  std::vector<int32_t> cmdline_wanted_;  // processes whose cmdline is left to /proc
  size_t tasks_seen_ = 0;                // records of the last full pass
  sys::UserNames users_;                          // uid -> name, kept across snapshots
  std::vector<const task_rec*> order_;               // the records in build order (per build)
  std::unordered_map<int32_t, uint32_t> index_;      // tgid -> index in processes (per build)
  uint64_t page_size_;
  bool have_schedinfo_ = true;  // the last pass carried sched_info

  // KnownArgv is a process's command line as first read, and after which exec of the process.
  struct KnownArgv {
    uint64_t start_time = 0, exec_id = 0;  // the leader's: an exec counts one more (same pid, new argv)
    std::string cmdline;
    bool learned = false;  // read (else waiting for learn_cmdline())
  };
  std::unordered_map<int32_t, KnownArgv> argv_known_;  // pid -> (argv_once)
  bool argv_once_ = false;     // this pass keeps command lines (Request::argv_once, applicable)
  std::vector<int32_t> argv_live_;  // the processes this pass kept command lines for
  size_t argv_missed_ = 0;     // processes the last pass could not take from argv_known_
  uint64_t argv_walks_ = 0;
};

// make_bpf_source() returns a BpfSource, or throws ts::Error with a one-line reason:
// not privileged, no kernel BTF, or the kernel refused the program (with libbpf's word).
// Users want lib/sources' make_source(), which completes it from /proc.
std::unique_ptr<BpfSource> make_bpf_source(ReaderUse use = ReaderUse::OneShot);

}  // namespace ts::bpf
