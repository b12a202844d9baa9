// maps_layout.h: a process's AddressLayout (mm_struct's start_code .. start_stack) from /proc/PID/stat.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string_view>

#include "model/task.h"

namespace ts {

// parse_stat_layout() reads start_code, end_code, start_stack (fields 26-28), start_data, end_data and
// start_brk (fields 45-47) from /proc/PID/stat text. comm (field 2) may hold spaces and ')', so the
// fields are counted from the LAST ')'. brk is left 0: stat does not carry it (see read_layout()).
// The kernel writes zeros for these fields when the reader may not ptrace the process.
// Returns nullopt when the text is malformed or too short.
std::optional<AddressLayout> parse_stat_layout(std::string_view stat);

// read_layout() reads the layout of task `pid` (a process, or one of its live threads by tid, whose
// /proc/TID/stat shows the same address space): start_code, end_code and start_stack through
// libproc2, the rest (which libproc2 does not expose) by parse_stat_layout(). Returns nullopt when
// the task is gone.
std::optional<AddressLayout> read_layout(pid_t pid);

}  // namespace ts
