// task_iter_reader.h: TaskIterReader, the loaded iter/task program and the reads of it.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bpf/task_record.h"

namespace ts::bpf {

// TaskIterReader owns the iter/task program (bpf/task_iter.bpf.c), loaded and attached once,
// and turns one pass of it into task_rec records (each possibly followed by its process's argv,
// see record_argv()). It loads the best variant the kernel accepts; TASKSCOPE_TASK_ITER=plain
// and/or approx (comma-separated) make it skip the argv and exact-RSS variants, to test the
// fallbacks. The verified program and its link are kept between runs, pinned in bpffs
// (iter_pin.h: later readers only open them); where that cannot be done (no bpffs, not root,
// TASKSCOPE_BPF_PIN_DIR=off) each reader loads its own. Not thread-safe: one reader per thread.
class TaskIterReader {
 public:
  // TaskIterReader() opens, loads and attaches the program. Throws ts::Error with one line
  // (libbpf's complaint included) when the kernel refuses it. Call probe_support() first for
  // the friendlier "not root"/"no BTF" messages.
  TaskIterReader();
  ~TaskIterReader();
  TaskIterReader(const TaskIterReader&) = delete;
  TaskIterReader& operator=(const TaskIterReader&) = delete;

  // read_all() runs one pass over every task and returns the records in the kernel's order
  // (by tid), valid until the next read. Throws ts::Error when the iterator fails as a whole or
  // returns a malformed stream.
  std::span<const task_rec* const> read_all();

  // read_group() reads only the tasks of thread group `tgid` (empty when it does not exist).
  // It uses the kernel's per-process iterator when it has one (Linux 6.1+); otherwise it
  // filters a full pass (see per_process_iter()).
  std::span<const task_rec* const> read_group(int32_t tgid);

  // kernel_argv() tells whether the sleepable program loaded, so leaders' records carry their
  // argv (TASK_REC_HAVE_ARGV); otherwise command lines must come from /proc/PID/cmdline.
  bool kernel_argv() const { return kernel_argv_; }

  // argv_refused() is why the kernel refused the sleepable argv program (empty when it loaded).
  const std::string& argv_refused() const { return argv_refused_; }

  // per_process_iter() tells whether the kernel accepted a per-process task iterator.
  bool per_process_iter() const { return per_process_; }

  // exact_rss() tells whether RSS includes the per-CPU deltas (as /proc/PID/status's VmRSS),
  // which needs Linux 5.19; otherwise it is the central count (as /proc/PID/stat).
  bool exact_rss() const { return exact_rss_; }

  // rss_refused() is why the exact-RSS program did not load (empty when it did).
  const std::string& rss_refused() const { return rss_refused_; }

  // PinUse is how this reader got its program: Reused (opened from a pin an earlier reader made),
  // Pinned (loaded, and pinned for later readers), Loaded (loaded, not pinned: see pin_why()).
  enum class PinUse { Reused, Pinned, Loaded };
  // pin_use() is how this reader got its program.
  PinUse pin_use() const { return pin_; }
  // pin_why() is why the program was not pinned (empty unless pin_use() is Loaded).
  const std::string& pin_why() const { return pin_why_; }
  // pin_was_stale() tells whether a pin of this key was found that was not ours (stale or
  // foreign) and was replaced.
  bool pin_was_stale() const { return pin_stale_; }
  // prog_fd() is the loaded program (for its bpf_stats, bpf_obj_get_info_by_fd); owned by the reader.
  int prog_fd() const;

  // size_for() makes the next read's buffer room for `tasks` records at once (with a leader's
  // argv every few), so a read into a fresh buffer neither grows it by copying nor faults in
  // pages it will not use.
  void size_for(size_t tasks);
 private:
  // load() opens and loads the best variant the kernel accepts, and attaches it.
  void load();
  // read_link() reads one pass of an iterator link into buf_ and indexes its records in recs_.
  void read_link(int link_fd);
  // grow() makes room for at least `bytes` in buf_, keeping the first `keep` bytes.
  void grow(size_t bytes, size_t keep);

  // Skel holds the generated skeleton (a SkelPtr), kept out of this header: the skeleton
  // embeds the whole BPF object and belongs in one translation unit.
  struct Skel;
  std::unique_ptr<Skel> skel_;
  bool per_process_ = false;
  bool exact_rss_ = false;
  bool kernel_argv_ = false;
  std::string argv_refused_;
  std::string rss_refused_;
  PinUse pin_ = PinUse::Loaded;
  std::string pin_why_;
  bool pin_stale_ = false;
  size_t sized_for_ = 0;  // bytes size_for() asked for
  std::unique_ptr<uint64_t[]> buf_;  // the raw stream, 8-aligned; reused, never zeroed (read() fills it)
  size_t cap_ = 0;                   // bytes buf_ can hold
  std::vector<const task_rec*> recs_;  // the last read's records, pointing into buf_
};

// parse_records() indexes a raw iterator stream: a task_rec, then its tail_len bytes padded to
// 8, then the next. `data` must be 8-aligned. Throws ts::Error on a torn or oversized record.
void parse_records(const char* data, size_t bytes, std::vector<const task_rec*>& out);

// record_argv() is the raw argv (NUL-separated, as /proc/PID/cmdline) that follows `r` in the
// stream it was parsed from; empty without TASK_REC_HAVE_ARGV.
inline std::string_view record_argv(const task_rec& r) {
  if (!(r.have & TASK_REC_HAVE_ARGV)) return {};
  return {reinterpret_cast<const char*>(&r + 1), r.tail_len};
}

// record_kname() is a kernel thread's name as /proc shows it (longer than its comm: the full
// name, a workqueue worker's "+desc"/"-desc"), at most 63 bytes as /proc bounds it; empty
// without TASK_REC_HAVE_KNAME.
inline std::string_view record_kname(const task_rec& r) {
  if (!(r.have & TASK_REC_HAVE_KNAME)) return {};
  const size_t n = r.tail_len < TASK_ITER_KNAME_MAX - 1 ? r.tail_len : TASK_ITER_KNAME_MAX - 1;
  return {reinterpret_cast<const char*>(&r + 1), n};
}

}  // namespace ts::bpf
