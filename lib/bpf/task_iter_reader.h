// task_iter_reader.h: TaskIterReader, the loaded iter/task program and the reads of it.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "bpf/task_record.h"

namespace ts::bpf {

// TaskIterReader owns the iter/task program (bpf/task_iter.bpf.c), loaded and attached once,
// and turns one pass of it into a vector of task_rec. Not thread-safe: one reader per thread.
class TaskIterReader {
 public:
  // TaskIterReader() opens, loads and attaches the program. Throws ts::Error with one line
  // (libbpf's complaint included) when the kernel refuses it. Call probe_support() first for
  // the friendlier "not root"/"no BTF" messages.
  TaskIterReader();
  ~TaskIterReader();
  TaskIterReader(const TaskIterReader&) = delete;
  TaskIterReader& operator=(const TaskIterReader&) = delete;

  // read_all() runs one pass over every task and returns the records (valid until the next
  // read). With skip_kthreads the kernel leaves kernel threads out. Throws ts::Error when the
  // iterator fails as a whole.
  std::span<const task_rec> read_all(bool skip_kthreads);

  // read_group() reads only the tasks of thread group `tgid` (empty when it does not exist).
  // It uses the kernel's per-process iterator when it has one (Linux 6.1+); otherwise it
  // filters a full pass (see per_process_iter()).
  std::span<const task_rec> read_group(int32_t tgid);

  // per_process_iter() tells whether the kernel accepted a per-process task iterator.
  bool per_process_iter() const { return per_process_; }

  // exact_rss() tells whether RSS includes the per-CPU deltas (as /proc/PID/status), which
  // needs this_cpu_off from kallsyms; otherwise it is the central count (as /proc/PID/stat).
  bool exact_rss() const { return exact_rss_; }

 private:
  // read_link() reads every record from an iterator link into buf_ (from the start).
  void read_link(int link_fd);
  // grow() makes room for at least `n` records in buf_, keeping the first `keep` bytes.
  void grow(size_t n, size_t keep);

  // Skel holds the generated skeleton (a SkelPtr), kept out of this header: the skeleton
  // embeds the whole BPF object and belongs in one translation unit.
  struct Skel;
  std::unique_ptr<Skel> skel_;
  bool per_process_ = false;
  bool exact_rss_ = false;
  std::unique_ptr<task_rec[]> buf_;  // reused across reads, never zeroed (read() fills it)
  size_t cap_ = 0;                   // records buf_ can hold
  size_t count_ = 0;                 // records the last read left in buf_
};

}  // namespace ts::bpf
