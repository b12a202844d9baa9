// task_reader.h: TaskReader, what BpfSource needs of a snapshot program: every task's record, or
// one process's, and the tail (argv or kernel thread name) a record may carry. Two programs provide
// it: the open-coded walk (TaskWalkReader, Linux 6.7+) and the iter/task iterator (TaskIterReader,
// the fallback). make_task_reader() picks one.
#pragma once
#include <linux/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "../bpf/task_iter.h"

namespace ts::bpf {

// Bits of a read's `want`: what the request needs beyond what every record has. A reader may fill
// more than asked (the iterator always reads everything), never less.
constexpr uint32_t kWantMm = 0x1;    // mm layout and RSS (TASK_REC_HAVE_MM)
constexpr uint32_t kWantArgv = 0x2;  // leaders' argv (TASK_REC_HAVE_ARGV)
constexpr uint32_t kWantAll = kWantMm | kWantArgv;

// TaskReader is one loaded snapshot program. Not thread-safe: one reader per thread.
class TaskReader {
 public:
  virtual ~TaskReader() = default;
  TaskReader() = default;
  TaskReader(const TaskReader&) = delete;
  TaskReader& operator=(const TaskReader&) = delete;

  // name() is "walk" (the open-coded walk) or "iter" (the iter/task program).
  virtual const char* name() const = 0;
  // read_all() reads every task and returns the records, valid until the next read. Throws
  // ts::Error when the program fails as a whole or returns something malformed.
  virtual std::span<const task_rec* const> read_all(uint32_t want = kWantAll) = 0;
  // read_group() reads only the tasks of thread group `tgid` (empty when it does not exist).
  virtual std::span<const task_rec* const> read_group(int32_t tgid, uint32_t want = kWantAll) = 0;
  // tail() is the tail_len bytes record `r` of the last read carries (TASK_REC_HAVE_ARGV or
  // TASK_REC_HAVE_KNAME; see record_argv(), record_kname()); empty when there are none.
  virtual std::string_view tail(const task_rec& r) const = 0;
  // size_for() sizes the reader's buffers for `tasks` tasks, so a read neither grows them by
  // copying nor runs twice.
  virtual void size_for(size_t tasks) = 0;
  // prog_fd() is the loaded program (for its bpf_stats, bpf_obj_get_info_by_fd); owned by the reader.
  virtual int prog_fd() const = 0;

  // kernel_argv() tells whether leaders' records carry their argv when asked (TASK_REC_HAVE_ARGV);
  // otherwise command lines must come from /proc/PID/cmdline.
  bool kernel_argv() const { return kernel_argv_; }
  // argv_refused() is why argv is not read in the kernel (empty when it is).
  const std::string& argv_refused() const { return argv_refused_; }
  // per_process_iter() tells whether read_group() reads only that process (else it filters a full pass).
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

 protected:
  bool per_process_ = false;
  bool exact_rss_ = false;
  bool kernel_argv_ = false;
  std::string argv_refused_;
  std::string rss_refused_;
  PinUse pin_ = PinUse::Loaded;
  std::string pin_why_;
  bool pin_stale_ = false;
};

// VariantsAllowed is which program variants TASKSCOPE_TASK_ITER lets a reader try: "plain" leaves
// argv to /proc (no sleepable iterator, no argv phase in the walk), "approx" leaves out the
// exact-RSS program (comma-separated), to test the fallbacks older kernels get.
struct VariantsAllowed {
  bool argv = true;
  bool exact = true;
};
// variants_allowed() reads TASKSCOPE_TASK_ITER.
VariantsAllowed variants_allowed();

// ReaderUse says how a source will be read: once (a one-shot command such as `ps`), or pass after
// pass (top, record, export).
enum class ReaderUse { OneShot, Repeating };

// WalkPlan is when a source should use the open-coded walk: Now (load it before the first read),
// IfPinned (open it when a pin holds it already, else the iterator), Later (serve the first reads
// with the iterator while the walk loads beside them), or Never.
enum class WalkPlan { Now, IfPinned, Later, Never };

// plan_walk() decides the WalkPlan for `use` and sets `why` to why the walk is not used now:
// TASKSCOPE_BPF_WALK=off never, =on now (even unpinned). Otherwise nothing where the walk cannot be
// pinned (walk_pinnable(): verifying it costs seconds, which must neither delay a first frame nor
// be paid every run); a one-shot read uses it if pinned (by a repeating reader: it never waits for
// the verifier itself), a repeating reader loads it later.
WalkPlan plan_walk(ReaderUse use, std::string& why);

// make_task_reader() loads the reader `plan` asks for now: the walk for WalkPlan::Now and
// WalkPlan::IfPinned (with WalkMaps::Shared for a one-shot `use`), else, or when the walk does not
// load (not pinned yet, a kernel before 6.7, a verifier that refuses it; `walk_why` then says
// why), the iter/task program. Throws ts::Error when neither loads.
std::unique_ptr<TaskReader> make_task_reader(WalkPlan plan, ReaderUse use, std::string* walk_why = nullptr);

// load_walk() loads the open-coded walk alone (TaskWalkReader); throws ts::Error when it cannot.
std::unique_ptr<TaskReader> load_walk();

// record_argv() is the raw argv (NUL-separated, as /proc/PID/cmdline) of leader record `r`, whose
// tail is `tail` (TaskReader::tail()); empty without TASK_REC_HAVE_ARGV.
inline std::string_view record_argv(const task_rec& r, std::string_view tail) {
  if (!(r.have & TASK_REC_HAVE_ARGV)) return {};
  return tail;
}

// record_kname() is a kernel thread's name as /proc shows it (longer than its comm: the full
// name, a workqueue worker's "+desc"/"-desc"), at most 63 bytes as /proc bounds it, from record
// `r` and its tail `tail`; empty without TASK_REC_HAVE_KNAME.
inline std::string_view record_kname(const task_rec& r, std::string_view tail) {
  if (!(r.have & TASK_REC_HAVE_KNAME)) return {};
  return tail.substr(0, TASK_ITER_KNAME_MAX - 1);
}

}  // namespace ts::bpf
