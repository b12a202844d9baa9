// completed_source.h: CompletedBpfSource, the BPF source with what it cannot read taken from /proc.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bpf/bpf_source.h"
#include "model/source.h"

namespace ts {

// CompletedBpfSource is what `--source bpf` means: a snapshot from the BPF task iterator, then
// from /proc whatever the iterator left out: the thread groups some kernels hide from iterators
// (this project's CI VM hides its init), and the command lines the kernel could not copy (longer
// than 4 KiB, rewritten by setproctitle, or all of them where the sleepable program does not
// load). The processes completed this way carry the same fields (the /proc source reads run-queue
// delay from schedstat); where /proc cannot give a field asked for, the snapshot's fields drop it
// and a note says so.
// Not thread-safe: one snapshot at a time.
class CompletedBpfSource : public Source {
 public:
  // CompletedBpfSource() takes a loaded BPF source and the /proc source to complete it with.
  CompletedBpfSource(std::unique_ptr<bpf::BpfSource> bpf, std::unique_ptr<Source> proc);
  // name() is "bpf".
  std::string name() const override { return "bpf"; }
  // snapshot() reads the BPF snapshot and completes it (see the class comment).
  Snapshot snapshot(const Request& req) override;
  // from_proc() lists the thread groups of the last snapshot that the iterator did not return
  // and that were therefore read from /proc.
  const std::vector<int32_t>& from_proc() const { return from_proc_; }
  // bpf() is the BPF source it completes.
  const bpf::BpfSource& bpf() const { return *bpf_; }
  // listings() counts the snapshots that listed /proc to find the hidden groups (see add_hidden()).
  uint64_t listings() const { return listings_; }

 private:
  // add_hidden() adds to `s` the thread groups /proc shows (or the request names) that the
  // iterator did not return. Listing /proc walks every task in the kernel (a cost that grows with
  // threads, not processes), so when the kernel's task count says the iterator and the groups
  // found hidden last time account for every task, it reads those groups again without listing.
  void add_hidden(const Request& req, Snapshot& s);
  // hidden_groups() is the thread groups of /proc the iterator did not return (see add_hidden()).
  std::vector<int32_t> hidden_groups();
  // add_cmdlines() fills the command lines the BPF source could not read.
  void add_cmdlines(Snapshot& s);

  std::unique_ptr<bpf::BpfSource> bpf_;
  std::unique_ptr<Source> proc_;
  std::vector<int32_t> from_proc_;
  bool listed_ = false;              // hidden_ and hidden_tasks_ come from a listing of /proc
  std::vector<int32_t> hidden_;      // the groups found hidden by the last full snapshot, sorted
  size_t hidden_tasks_ = 0;          // and how many tasks they had
  uint64_t listings_ = 0;
};

}  // namespace ts
