// bpf_source.h: BpfSource, a Source that reads every task_struct through one BPF task iterator.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bpf/task_iter_reader.h"
#include "model/source.h"

namespace ts::bpf {

// BpfSource takes snapshots from the iter/task program: one pass returns every task's ids,
// state, times, priorities, switch counts, schedstats, mm layout/RSS and (when the kernel
// accepts the sleepable program, Linux 5.18+) each process's argv, without opening a /proc
// file. /proc is still read for a command line longer than TASK_ITER_ARGV_MAX (4 KiB) or
// rewritten by setproctitle, for every command line on kernels that refuse the sleepable
// program, and user names come from the passwd database (cached per uid).
// Not thread-safe: one snapshot at a time.
class BpfSource : public Source {
 public:
  // BpfSource() loads and attaches the program once. Throws ts::Error when it cannot.
  BpfSource();
  // name() is "bpf".
  std::string name() const override { return "bpf"; }
  // snapshot() runs one pass of the iterator (one per pid when the request names pids and the
  // kernel has per-process iterators) and builds the model. Exited tasks are simply absent.
  Snapshot snapshot(const Request& req) override;
  // notes() says which kernel features were missing and which fallback is in use (empty: none).
  const std::vector<std::string>& notes() const { return notes_; }
  // from_proc() lists the thread groups of the last snapshot that /proc shows but the task
  // iterator did not, and which were therefore read from /proc. Some kernels hide tasks from
  // BPF iterators (this project's CI VM hides its init, pid 1, and its agent's threads).
  const std::vector<int32_t>& from_proc() const { return from_proc_; }

 private:
  // build() turns records into processes, appending to `out` (which must be sorted afterwards).
  void build(std::span<const task_rec* const> recs, const Request& req, std::vector<Process>& out);
  // complete_from_proc() adds to `s` the thread groups in `wanted` (sorted) that it lacks,
  // read through the /proc source: the tasks the kernel hid from the iterator.
  void complete_from_proc(const Request& req, std::vector<int32_t> wanted, Snapshot& s);
  // user_name() returns the user name of `uid` (or the uid as text), cached.
  const std::string& user_name(uint32_t uid);

  TaskIterReader reader_;
  std::unique_ptr<Source> proc_;  // made on first use by complete_from_proc()
  std::vector<std::string> notes_;
  std::vector<int32_t> from_proc_;
  std::vector<int32_t> seen_;  // tgids the iterator returned this snapshot, shown or filtered out
  std::unordered_map<uint32_t, std::string> users_;  // uid -> name, kept across snapshots
  std::unordered_map<int32_t, uint32_t> index_;      // tgid -> index in processes (per build)
  uint64_t page_size_;
  bool have_schedinfo_ = true;  // the last pass carried sched_info
};

// make_bpf_source() returns a BpfSource, or throws ts::Error with a one-line reason:
// not privileged, no kernel BTF, or the kernel refused the program (with libbpf's word).
std::unique_ptr<Source> make_bpf_source();

}  // namespace ts::bpf
