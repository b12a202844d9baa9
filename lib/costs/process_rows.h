// process_rows.h: the two process rows: fork+exit+wait, and vfork+exec of a tiny static program.
#pragma once
#include "costs/observe.h"
#include "costs/row.h"

namespace ts::costs {

// measure_fork_row() measures fork+_exit+waitpid, a pipe ping-pong between two processes on one
// CPU (with the kernel's counts of both), and the RSS of a waiting forked child.
CostRow measure_fork_row(const Plan& plan, Observer& obs);

// measure_exec_row() measures vfork+execve+waitpid of exec_helper_path() (static, exits at
// once) and the RSS of that program waiting: the smallest a process gets. Throws ts::Error
// naming the helper when it is missing.
CostRow measure_exec_row(const Plan& plan, Observer& obs);

// stack_limit() is the soft RLIMIT_STACK (ulimit -s) in bytes; 0 when unlimited.
uint64_t stack_limit();

}  // namespace ts::costs
