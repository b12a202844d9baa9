// process_codec.h: a sample's process table as bytes, whole (a key sample) or as the changes since
// the sample before (a delta): processes and tasks that stayed as they were cost a few bits per
// run, a changed one its field mask and the differences, a new one its whole record. Most of 10k
// recorded threads do not change in a second; this is what keeps a --threads sample small.
#pragma once
#include <vector>

#include "history/blob.h"
#include "model/task.h"

namespace ts::history {

// put_processes() appends `ps` whole (pid order, as a Snapshot holds them).
void put_processes(BlobWriter& w, const std::vector<Process>& ps);

// get_processes() reads what put_processes() wrote; fails (BlobReader::fail) on anything malformed,
// including processes out of pid order.
std::vector<Process> get_processes(BlobReader& r);

// put_processes_delta() appends the changes that turn `base` into `cur` (both in pid order; each
// process's tasks leader first, then by tid: other orders still encode, only larger).
void put_processes_delta(BlobWriter& w, const std::vector<Process>& base, const std::vector<Process>& cur);

// get_processes_delta() reads what put_processes_delta() wrote and applies it to `base` (consumed:
// its unchanged tasks are moved, not copied). Fails on anything malformed or that does not fit `base`.
std::vector<Process> get_processes_delta(BlobReader& r, std::vector<Process>&& base);

}  // namespace ts::history
