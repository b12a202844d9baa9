// thread_rows.h: the thread row: pthread_create+join, a futex ping-pong, parked threads' RSS.
#pragma once
#include "costs/observe.h"
#include "costs/row.h"

namespace ts::costs {

// measure_thread_row() measures pthread_create+pthread_join of a thread that returns at once, a
// futex ping-pong between two threads on one CPU (with the kernel's counts of both), and the RSS
// that parked threads add to their process; reserved is the default thread stack glibc gives.
CostRow measure_thread_row(const Plan& plan, Observer& obs);

}  // namespace ts::costs
