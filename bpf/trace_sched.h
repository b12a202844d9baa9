/* trace_sched.h: what trace_sched.bpf.c shares with lib/bpf/trace_sched.cpp: the per-switch
 * record (stream mode) and the per-thread statistics (summary mode). Fixed-width types only. */
#ifndef TRACE_SCHED_H
#define TRACE_SCHED_H

#include "trace_proc.h"

#define TS_HIST_SLOTS 40 /* log2(ns) buckets: the last one holds everything >= 2^39 ns (~9 min) */

#define TS_SWITCH_VOLUNTARY 1u /* prev blocked (counted in nvcsw) */
#define TS_SWITCH_PREEMPT 2u   /* the scheduler's preempt argument */

/* ts_switch_rec: one context switch on one CPU (stream mode). Times are 0 when unknown
 * (the task was last seen before tracing began). */
struct ts_switch_rec {
	struct ts_rec_hdr hdr;
	__u32 prev_pid, prev_tid;
	__u32 next_pid, next_tid;
	__u32 prev_state; /* prev->__state as the scheduler saw it: 0 = still runnable */
	__u32 flags;      /* TS_SWITCH_* */
	__u64 prev_oncpu_ns;  /* how long prev ran since it was last switched in */
	__u64 next_offcpu_ns; /* how long next was off CPU since it was last switched out */
	char prev_comm[TS_COMM_LEN];
	char next_comm[TS_COMM_LEN];
};

/* ts_sched_stats: one thread's switches, aggregated in the kernel (summary mode); keyed by tid. */
struct ts_sched_stats {
	__u32 pid;
	__u32 pad;
	__u64 voluntary;
	__u64 involuntary;
	char comm[TS_COMM_LEN];
	__u64 oncpu[TS_HIST_SLOTS];  /* time on CPU per switch-out, log2(ns) */
	__u64 offcpu[TS_HIST_SLOTS]; /* time off CPU per switch-in, log2(ns) */
	__u64 runq[TS_HIST_SLOTS];   /* wakeup (or preemption) to switch-in, log2(ns) */
};

#endif
