// task_walk_reader.h: TaskWalkReader, the open-coded task snapshot (bpf/task_walk.bpf.c): one run
// of a syscall program writes a fixed record per task into an array this process has mapped.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bpf/task_reader.h"

namespace ts::bpf {

// TaskWalkReader runs bpf/task_walk.bpf.c with BPF_PROG_RUN: the program walks every task with the
// bpf_iter_task kfuncs (Linux 6.7+) under the RCU read lock, writes their records into this
// reader's BPF_F_MMAPABLE record map, which is read in place (no copy, no seq_file), then copies
// the leaders' argv into its tail map in a second phase outside the lock. Both maps are sized from
// the task count with headroom; a run that finds more tasks (or more tail bytes) than they hold
// says so, and the reader makes bigger maps and runs again: never a silent truncation. The maps
// are this reader's own, put into the program's map-in-map slots for the run, so the verified
// program is shared: pinned in bpffs as the iterator is (iter_pin.h, kWalkPin), runs of several
// processes taking turns under the pin's lock. TASKSCOPE_TASK_ITER=approx loads the variant
// without exact RSS, "plain" reads no argv, as for the iterator. Not thread-safe.
//
// WalkMaps::Shared is for one-shot readers (ps): each update of a map-in-map slot waits for an RCU
// grace period (11-16 ms here), more than a whole one-shot read. A shared reader runs the program
// with the maps it finds in its slots when they are the shared ones (named ts_walk_shr_*, written
// only under the pin's lock, never a repeating reader's own) and large enough, and copies the
// records out before it unlocks; only the first one-shot read (or one after a repeating reader
// took the slots, or after the machine outgrew them) makes shared maps and waits.
enum class WalkMaps { Own, Shared };

class TaskWalkReader : public TaskReader {
 public:
  // TaskWalkReader() loads (or opens the pinned) program and makes its maps (WalkMaps::Own), or
  // opens the pinned program only (WalkMaps::Shared with pinned_only: a one-shot reader never
  // pays the walk's seconds of verification; throws when nothing is pinned). Throws ts::Error
  // with one line when the kernel refuses it (before Linux 6.7: no bpf_iter_task kfuncs).
  explicit TaskWalkReader(WalkMaps maps = WalkMaps::Own, bool pinned_only = false);
  ~TaskWalkReader() override;

  // name() is "walk".
  const char* name() const override { return "walk"; }
  // read_all() runs the walk over every task (the mm part only with kWantMm, argv only with
  // kWantArgv) and returns the records in the kernel's task-list order (each process's threads
  // together), valid until the next read.
  std::span<const task_rec* const> read_all(uint32_t want = kWantAll) override;
  // read_group() walks only thread group `tgid`'s threads (per_process_iter(): in the initial pid
  // namespace; inside another one it filters a whole walk). Empty when `tgid` names no process.
  std::span<const task_rec* const> read_group(int32_t tgid, uint32_t want = kWantAll) override;
  // tail() is record `r`'s tail in the tail map (bounds-checked: empty when out of the map).
  std::string_view tail(const task_rec& r) const override;
  // size_for() remakes the maps for `tasks` records (and a tail chunk for every other task).
  void size_for(size_t tasks) override;
  // prog_fd() is the loaded program; owned by the reader.
  int prog_fd() const override;
  // resize() remakes the maps with room for `recs` records and `chunks` tail chunks exactly (for
  // tests of the overflow path; size_for() is what callers want).
  void resize(uint32_t recs, uint32_t chunks) { make_maps(recs, chunks); }

  // runs() is how many times the last read ran the program: 1, or more when the maps had to grow.
  int runs() const { return runs_; }
  // slot_updates() counts the map-in-map slot updates (each an RCU grace period) of all reads.
  int slot_updates() const { return slot_updates_; }
  // rec_capacity() and tail_capacity() are the maps' current sizes (records, 128-byte chunks).
  uint32_t rec_capacity() const;
  uint32_t tail_capacity() const;
  // argv_read() is how many leaders' argv the last read's second phase copied.
  uint32_t argv_read() const { return argv_read_; }

 private:
  // load() loads the best variant the kernel accepts.
  void load();
  // make_maps() replaces the record and tail maps by maps of `recs` and `chunks` entries, mapped.
  void make_maps(uint32_t recs, uint32_t chunks);
  // take_shared() maps the shared maps in the program's slots when they hold at least `recs`
  // records and `chunks` chunks, else makes shared maps of that size (handed at the run).
  void take_shared(uint32_t recs, uint32_t chunks);
  // walk() runs the program (growing the maps until everything fits) and indexes the records.
  void walk(int32_t tgid, uint32_t want);

  struct State;  // the skeleton, pins, maps and mappings, kept out of this header
  std::unique_ptr<State> st_;
  std::vector<const task_rec*> recs_;
  int runs_ = 0;
  int slot_updates_ = 0;
  uint32_t argv_read_ = 0;
};

// walk_pinnable() tells whether the walk's program can be pinned here (iter_pin.h: bpffs mounted,
// root, the initial pid namespace), else sets `why`. Verifying the walk costs far more than the
// iterator (its loops: about 170,000 instructions followed), so only a pinned walk pays off for
// one-shot commands.
bool walk_pinnable(std::string& why);

}  // namespace ts::bpf
