// proc_ids.h: which tasks /proc shows, and whether its numbers are this process's.
#pragma once
#include <cstdint>
#include <vector>

namespace ts::procfs {

// proc_tgids() lists, sorted, the thread groups /proc shows (its numeric entries); empty when
// /proc cannot be read.
std::vector<int32_t> proc_tgids();

// proc_tgid_of() is the thread group of task `tid` (libproc2 reads /proc/TID/status, which exists
// for every thread though /proc lists only leaders), or 0 when there is no such task (or it exited).
int32_t proc_tgid_of(int32_t tid);

// check_proc_pidns() throws ts::Error (status 1) when /proc belongs to another pid namespace than
// this process's (/proc/self names another pid than getpid()): its pids would then not be the ones
// this process, its caller and the BPF programs number tasks by. The message says how to mount the
// right one. Cheap: one readlink().
void check_proc_pidns();

}  // namespace ts::procfs
