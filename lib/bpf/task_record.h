// task_record.h: turning the kernel's raw task_struct numbers (bpf/task_iter.h) into what /proc
// shows: the state letter, tick-scaled CPU times, and a Task. Pure functions, no BPF needed.
#pragma once
#include <linux/types.h>

#include <cstdint>
#include <string_view>

#include "../bpf/task_iter.h"
#include "model/task.h"

namespace ts::bpf {

// state_letter() maps task->__state and task->exit_state to the letter /proc/PID/stat shows
// (R S D T t X Z P I), as the kernel's __task_state_index() does: idle (D with NOLOAD) is 'I',
// a frozen or rtlock-waiting task is 'D', and the exit state wins over the run state.
char state_letter(uint32_t state, uint32_t exit_state);

// CpuTimes is a user/system split of CPU time in nanoseconds.
struct CpuTimes {
  uint64_t utime = 0;
  uint64_t stime = 0;
};

// cputime_adjust() is the kernel's cputime_adjust() without its write-back: the tick-sampled
// `raw` split is scaled so that utime+stime equals `rtime` (precise runtime), and never goes
// below `prev` (what /proc last reported). This is what /proc/PID/stat prints.
CpuTimes cputime_adjust(CpuTimes raw, uint64_t rtime, CpuTimes prev);

// fill_task() sets `t` from the record `r`, filling only the field groups in `fields`
// (Field::Ids always). Times are nanoseconds; start_ns is CLOCK_BOOTTIME as /proc uses. A kernel
// thread's name is the full one in `tail`, the record's tail (TaskReader::tail(), with
// TASK_REC_HAVE_KNAME), as /proc's.
void fill_task(const task_rec& r, uint32_t fields, Task& t, std::string_view tail = {});

}  // namespace ts::bpf
