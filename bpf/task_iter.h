/* task_iter.h: the record the iter/task program writes for each task, shared by
 * bpf/task_iter.bpf.c and lib/bpf (fixed-width types only: it is read by C++ too). */
#ifndef TASKSCOPE_TASK_ITER_H
#define TASKSCOPE_TASK_ITER_H

#define TASK_ITER_COMM_LEN 16

/* Bits of task_rec.have: which optional parts the kernel could fill. */
#define TASK_REC_HAVE_MM 0x1        /* mm part valid: a user task's leader, or every thread when it has exited */
#define TASK_REC_HAVE_SCHEDINFO 0x2 /* run_delay and pcount valid (CONFIG_SCHED_INFO) */
#define TASK_REC_HAVE_GROUP 0x4     /* sig_* fields valid (written for group leaders) */
#define TASK_REC_HAVE_RSS_EXACT 0x8 /* rss_* include the per-CPU deltas (as /proc's statm) */
#define TASK_REC_HAVE_ARGV 0x10     /* a leader's argv was read in the kernel: tail_len bytes follow */
#define TASK_REC_ARGV_PARTIAL 0x20  /* argv longer than TASK_ITER_ARGV_MAX, or unreadable: ask /proc */
#define TASK_REC_HAVE_KNAME 0x40    /* a kernel thread's name as /proc shows it follows: tail_len bytes */

/* TASK_ITER_KNAME_MAX is /proc's bound on a task name (proc_task_name()'s 64-byte buffer, NUL included). */
#define TASK_ITER_KNAME_MAX 64

/* TASK_ITER_ARGV_MAX bounds the command line the sleepable program copies per process. */
#define TASK_ITER_ARGV_MAX 4096

/* TASK_REC_PF_KTHREAD is PF_KTHREAD: a kernel thread. */
#define TASK_REC_PF_KTHREAD 0x00200000u

/* task_rec is one task_struct as the kernel sees it. Times in nanoseconds, memory in pages.
 * Ids are the reader's: numbered in the pid namespace of the process reading the iterator (tasks
 * it cannot see are not listed; a parent it cannot see is 0, as in its /proc).
 * The stream is a sequence of records, each followed by tail_len bytes padded with zeros to a
 * multiple of 8 bytes: a leader's raw argv (NUL-separated, as /proc/PID/cmdline) with
 * TASK_REC_HAVE_ARGV, or a kernel thread's full name (no NUL) with TASK_REC_HAVE_KNAME. */
struct task_rec {
	/* Every record's part first, the leader's parts last: a thread's record is written and read
	 * in its first 168 bytes (three cache lines of a walk_rec slot; fill_rec() zeroes only that
	 * part, so the mm and group parts hold older bytes unless their TASK_REC_HAVE_* bit is set). */
	__s32 pid;          /* task->pid: the tid */
	__s32 tgid;         /* task->tgid */
	__s32 ppid;         /* task->real_parent->tgid (0 when the parent is not visible) */
	__u32 uid;          /* task->cred->euid, as ps shows */
	char comm[TASK_ITER_COMM_LEN];
	__u32 state;        /* task->__state (TASK_* bits) */
	__u32 exit_state;   /* task->exit_state (EXIT_ZOMBIE, EXIT_DEAD) */
	__u32 flags;        /* task->flags (PF_*) */
	__s32 cpu;          /* CPU it last ran on */
	__s32 prio;         /* task->prio (0..139; 120 is nice 0) */
	__s32 static_prio;  /* nice + 120 */
	__s32 normal_prio;
	__u32 rt_priority;
	__u32 policy;       /* SCHED_* */
	__u32 have;         /* TASK_REC_HAVE_* bits */
	__u32 tail_len;     /* bytes after this record: argv (TASK_REC_HAVE_ARGV) or a name (TASK_REC_HAVE_KNAME) */
	__s32 nr_threads;   /* signal->nr_threads, with TASK_REC_HAVE_GROUP */
	__u64 utime;        /* raw tick-sampled user time */
	__u64 stime;        /* raw tick-sampled system time */
	__u64 prev_utime;   /* task->prev_cputime: what /proc last reported, for cputime_adjust */
	__u64 prev_stime;
	__u64 sum_exec_runtime; /* task->se.sum_exec_runtime: precise on-CPU time */
	__u64 nvcsw;
	__u64 nivcsw;
	__u64 start_time;     /* task->start_time: CLOCK_MONOTONIC ns at fork */
	__u64 start_boottime; /* task->start_boottime: CLOCK_BOOTTIME ns at fork (what /proc shows) */
	__u64 run_delay;      /* sched_info.run_delay: ns spent runnable but waiting for a CPU */
	__u64 pcount;         /* sched_info.pcount: times it ran on a CPU */
	/* from task->mm, with TASK_REC_HAVE_MM (the leader's, or every thread's when it has exited) */
	__u64 start_code, end_code, start_data, end_data;
	__u64 start_brk, brk, start_stack;
	__u64 total_vm;       /* pages */
	__s64 rss_file;       /* pages (MM_FILEPAGES) */
	__s64 rss_anon;       /* pages (MM_ANONPAGES) */
	__s64 rss_shmem;      /* pages (MM_SHMEMPAGES) */
	/* from task->signal, with TASK_REC_HAVE_GROUP (leaders): what exited threads left behind */
	__u64 sig_utime, sig_stime, sig_sum_exec_runtime;
	__u64 sig_prev_utime, sig_prev_stime;
	__u64 exec_id;        /* task->self_exec_id, a leader's: one more at each exec */
};

/* TASK_REC_COMMON is the size of the part every record writes (up to the mm part). */
#define TASK_REC_COMMON __builtin_offsetof(struct task_rec, start_code)

#endif
