// proc_ids.h: which thread groups /proc shows, and whether its numbers are this process's
// (a task's thread group: proc_text.h's tgid_of()).
#pragma once
#include <dirent.h>

#include <cstdint>
#include <vector>

namespace ts::procfs {

// proc_tgids() lists, sorted, the thread groups /proc shows (its numeric entries); empty when
// /proc cannot be read.
std::vector<int32_t> proc_tgids();

// proc_task_ids() lists, sorted, the task (thread) ids of pid (/proc/PID/task); empty when it is gone
// or unreadable.
std::vector<int32_t> proc_task_ids(int32_t pid);

// read_ids() lists into `out` (cleared first), sorted, the positive numeric entries of the open
// directory `d` from its position (rewinddir() first to list a kept one again). False when reading
// fails (`out` then holds what was read before): a /proc/PID/task of a process that has exited
// gives ENOENT.
bool read_ids(DIR* d, std::vector<int32_t>& out);

// check_proc_pidns() throws ts::Error (status 1) when /proc belongs to another pid namespace than
// this process's (/proc/self names another pid than getpid()): its pids would then not be the ones
// this process, its caller and the BPF programs number tasks by. The message says how to mount the
// right one. Cheap: one readlink().
void check_proc_pidns();

}  // namespace ts::procfs
