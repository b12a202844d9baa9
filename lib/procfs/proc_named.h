// proc_named.h: a named process and its tasks read straight from their /proc files, for the /proc
// source's snapshots of a few named processes (the BPF source's hidden groups, every pass).
#pragma once
#include <cstdint>
#include <optional>

#include "model/source.h"
#include "procfs/proc_files.h"
#include "sys/user_names.h"

namespace ts::procfs {

// named_process() is process `pid` (without its tasks) as the /proc source's process table gives
// it, the fields of `req` read from /proc/PID/status and stat (and cmdline) through `files`: group
// CPU times, RSS (VmRSS), user, threads. nullopt when it is gone, when `pid` is a thread's id, or
// for a kernel thread that `req` does not ask for. `users` names uids; `ns_per_tick` converts
// clock ticks.
std::optional<Process> named_process(ProcFiles& files, int32_t pid, const Request& req, sys::UserNames& users,
                                     uint64_t ns_per_tick);

// named_task() is task `tid` of group `tgid` from its stat, read through `files` (task_ids(tgid)
// called first in the pass), with the fields of `f` that stat holds (its own CPU times, the
// leader's too), and its start time in ticks in *start_ticks. nullopt when it has exited.
std::optional<Task> named_task(ProcFiles& files, int32_t tgid, int32_t tid, Fields f, uint64_t ns_per_tick,
                               uint64_t* start_ticks);

}  // namespace ts::procfs
