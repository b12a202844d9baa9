// completed_source.cpp: completing a BPF snapshot from /proc.
#include "sources/completed_source.h"

#include <algorithm>

#include "procfs/proc_ids.h"
#include "procfs/proc_text.h"
#include "sys/pid.h"

namespace ts {

namespace {

bool by_pid(const Process& a, const Process& b) { return a.pid < b.pid; }

}  // namespace

CompletedBpfSource::CompletedBpfSource(std::unique_ptr<bpf::BpfSource> bpf, std::unique_ptr<Source> proc)
    : bpf_(std::move(bpf)), proc_(std::move(proc)) {}

Snapshot CompletedBpfSource::snapshot(const Request& req) {
  Snapshot s = bpf_->snapshot(req);
  if (has(req.fields, Field::Cmdline)) add_cmdlines(s);
  add_hidden(req, s);
  return s;
}

void CompletedBpfSource::add_cmdlines(Snapshot& s) {
  // Only the cmdline file of each: a /proc snapshot of them read every thread's stat besides.
  for (int32_t pid : bpf_->cmdline_wanted()) {
    auto it = std::lower_bound(s.processes.begin(), s.processes.end(), pid, [](const Process& p, int32_t v) { return p.pid < v; });
    if (it == s.processes.end() || it->pid != pid) continue;
    std::string cmdline = procfs::read_cmdline(pid);
    if (cmdline.empty()) continue;  // gone (or no arguments): nothing to keep
    it->cmdline = std::move(cmdline);
    bpf_->learn_cmdline(pid, it->cmdline);  // kept when the request asked argv_once
  }
}

std::vector<int32_t> CompletedBpfSource::hidden_groups() {
  const uint64_t total = sys::task_total();
  const std::vector<int32_t>& seen = bpf_->seen();
  const auto not_seen = [&](std::vector<int32_t> pids) {  // a group hidden last pass may be seen now
    std::erase_if(pids, [&](int32_t pid) { return std::binary_search(seen.begin(), seen.end(), pid); });
    return pids;
  };
  if (listed_ && total != 0 && total == bpf_->tasks_seen() + hidden_tasks_) return not_seen(hidden_);
  std::vector<int32_t> wanted = not_seen(procfs::proc_tgids());
  listed_ = true;
  ++listings_;
  return wanted;
}

void CompletedBpfSource::add_hidden(const Request& req, Snapshot& s) {
  from_proc_.clear();
  const bool all = req.pids.empty();
  std::vector<int32_t> wanted;
  if (all) {
    wanted = hidden_groups();
  } else {
    wanted = req.pids;
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    // Keep what the iterator did not return (shown or filtered out).
    const std::vector<int32_t>& seen = bpf_->seen();
    std::erase_if(wanted, [&](int32_t pid) { return std::binary_search(seen.begin(), seen.end(), pid); });
  }
  Snapshot extra;
  if (!wanted.empty()) {
    Request r = req;
    r.pids = std::move(wanted);
    extra = proc_->snapshot(r);
  }
  if (all) {  // what the next snapshot's count check compares with
    hidden_.clear();
    for (const Process& p : extra.processes) hidden_.push_back(p.pid);
    hidden_tasks_ = extra.task_count();
  }
  if (extra.processes.empty()) return;  // gone, or kernel threads not asked for
  const auto mid = static_cast<ptrdiff_t>(s.processes.size());
  for (Process& p : extra.processes) {  // by pid, as the snapshot's own
    from_proc_.push_back(p.pid);
    s.processes.push_back(std::move(p));
  }
  std::inplace_merge(s.processes.begin(), s.processes.begin() + mid, s.processes.end(), by_pid);
  const Fields lost = s.fields & ~extra.fields;
  s.fields &= extra.fields;
  if (has(lost, Field::Delay))
    s.notes.push_back(std::to_string(from_proc_.size()) + " process(es) hidden from the BPF task iterator were read " +
                      "from /proc, which has no schedstat on this kernel (no run-queue delay)");
}

}  // namespace ts
