/* trace_sched.h: what trace_sched.bpf.c shares with lib/bpf/sched_tracer.cpp and trace_stream.cpp:
 * the per-switch record (stream mode) and the per-thread statistics (summary mode).
 * Fixed-width types only. */
#ifndef TRACE_SCHED_H
#define TRACE_SCHED_H

#include "trace_proc.h"

#define TS_HIST_SLOTS 40 /* log2(ns) buckets: the last one holds everything >= 2^39 ns (~9 min) */

#define TS_SWITCH_PREEMPT 1u /* the scheduler's preempt argument */
#define TS_TASK_DEAD 0x80u   /* prev_state of a thread's last switch */

/* ts_switch_rec: one context switch on one CPU (stream mode). Which of prev's counters the switch
 * raised (voluntary or not) and how long next was off CPU are worked out in user space from
 * consecutive records of a thread, so the kernel keeps nothing per task. */
struct ts_switch_rec {
	struct ts_rec_hdr hdr; /* ts_ns: CLOCK_MONOTONIC, derived from rq_ns (see trace_sched.bpf.c) */
	__u32 prev_pid, prev_tid;
	__u32 next_pid, next_tid;
	__u32 prev_state;    /* prev->__state as the scheduler saw it: 0 = still runnable */
	__u32 flags;         /* TS_SWITCH_* */
	__u32 prev_nvcsw;    /* prev's voluntary switch count including this switch (low 32 bits) */
	__u32 prev_nivcsw;   /* and its involuntary count */
	__u64 rq_ns;         /* the run queue clock: durations between records are measured on it */
	__u64 prev_oncpu_ns; /* how long prev ran since it was switched in (0 = unknown) */
	char prev_comm[TS_COMM_LEN];
	char next_comm[TS_COMM_LEN];
};

/* ts_sched_stats: one thread's switches, aggregated in the kernel (summary mode). Every switch
 * out adds one oncpu entry. Every stint on a CPU that follows a switch out seen adds one offcpu
 * and one runq entry (under tp_btf, at the stint's own switch out, or when the summary is read for
 * a stint still going on; under raw_tp, at the switch in, where runq needs no switch out before). */
struct ts_sched_stats {
	__u32 pid;
	__u32 tid;
	__u64 voluntary;
	__u64 involuntary;
	char comm[TS_COMM_LEN];
	__u64 oncpu[TS_HIST_SLOTS];  /* time on CPU per switch out, log2(ns) */
	__u64 offcpu[TS_HIST_SLOTS]; /* time off CPU per switch in, log2(ns) */
	__u64 runq[TS_HIST_SLOTS];   /* wakeup (or preemption) to switch in, log2(ns) */
};

/* ts_sched_live: a live thread's statistics and what its next switch needs (summary mode). */
struct ts_sched_live {
	struct ts_sched_stats s;
	__u64 off_ts; /* run queue clock when it last left the CPU; 0 = not seen yet */
	__u64 nvcsw;  /* its counters after that switch */
	__u64 nivcsw; /* (raw_tp only) */
	__u64 pcount;    /* its sched_info.pcount (arrivals on a CPU) after that switch */
	__u64 run_delay; /* and its sched_info.run_delay (ns waited on run queues, all arrivals) */
	__u64 retired;   /* 1 once its last switch sent it to user space */
};

#define TS_HOT_SLOTS 4096 /* slots of the summary's array (a power of two; fewer may be loaded) */

/* ts_sched_hot: a slot of that array: the task that owns it and its statistics. A task is known
 * by its kernel stack, which it keeps for life, exec included (its tid may change: a thread that
 * execs takes its leader's), and by its start_time, which only an exec changes, to its leader's,
 * an earlier one: a task that later gets a freed task's stack starts later. */
struct ts_sched_hot {
	__u64 stack; /* the owner's task_struct.stack; 0 = free. Claimed with a compare-and-swap */
	__u64 start; /* the owner's start_time when it took the slot; 0 while it is being set up */
	struct ts_sched_live v;
};

#endif
