// task_iter_reader.h: TaskIterReader, the loaded iter/task program and the reads of it (the
// fallback snapshot path: see task_reader.h).
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bpf/task_reader.h"
#include "bpf/task_record.h"

namespace ts::bpf {

// TaskIterReader owns the iter/task program (bpf/task_iter.bpf.c), loaded and attached once,
// and turns one pass of it into task_rec records (each possibly followed by its process's argv,
// see record_argv()). It loads the best variant the kernel accepts; TASKSCOPE_TASK_ITER=plain
// and/or approx (comma-separated) make it skip the argv and exact-RSS variants, to test the
// fallbacks. The verified program and its link are kept between runs, pinned in bpffs
// (iter_pin.h: later readers only open them); where that cannot be done (no bpffs, not root,
// TASKSCOPE_BPF_PIN_DIR=off) each reader loads its own. Not thread-safe: one reader per thread.
class TaskIterReader : public TaskReader {
 public:
  // TaskIterReader() opens, loads and attaches the program. Throws ts::Error with one line
  // (libbpf's complaint included) when the kernel refuses it. Call probe_support() first for
  // the friendlier "not root"/"no BTF" messages.
  TaskIterReader();
  ~TaskIterReader() override;

  // name() is "iter".
  const char* name() const override { return "iter"; }
  // read_all() runs one pass over every task and returns the records in the kernel's order
  // (by tid), valid until the next read; `want` is ignored (the program reads everything).
  std::span<const task_rec* const> read_all(uint32_t want = kWantAll) override;
  // read_group() reads only the tasks of thread group `tgid` (empty when it does not exist).
  // It uses the kernel's per-process iterator when it has one (Linux 6.1+); otherwise it
  // filters a full pass (see per_process_iter()).
  std::span<const task_rec* const> read_group(int32_t tgid, uint32_t want = kWantAll) override;
  // tail() is the bytes that follow `r` in the stream (stream_tail()).
  std::string_view tail(const task_rec& r) const override;
  // prog_fd() is the loaded program; owned by the reader.
  int prog_fd() const override;
  // size_for() makes the next read's buffer room for `tasks` records at once (with a leader's
  // argv every few), so a read into a fresh buffer neither grows it by copying nor faults in
  // pages it will not use.
  void size_for(size_t tasks) override;

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
  size_t sized_for_ = 0;  // bytes size_for() asked for
  std::unique_ptr<uint64_t[]> buf_;  // the raw stream, 8-aligned; reused, never zeroed (read() fills it)
  size_t cap_ = 0;                   // bytes buf_ can hold
  std::vector<const task_rec*> recs_;  // the last read's records, pointing into buf_
};

// parse_records() indexes a raw iterator stream: a task_rec, then its tail_len bytes padded to
// 8, then the next. `data` must be 8-aligned. Throws ts::Error on a torn or oversized record.
void parse_records(const char* data, size_t bytes, std::vector<const task_rec*>& out);

// stream_tail() is the tail that follows record `r` in an iterator stream parsed by
// parse_records(): tail_len bytes (record_argv(), record_kname() tell what they are).
inline std::string_view stream_tail(const task_rec& r) {
  return {reinterpret_cast<const char*>(&r + 1), r.tail_len};
}

}  // namespace ts::bpf
