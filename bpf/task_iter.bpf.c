// SPDX-License-Identifier: GPL-2.0
/* task_iter.bpf.c: iter/task program that writes one struct task_rec per task, so that one
 * read() of the iterator returns every task_struct's numbers without touching /proc. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "task_iter.h"

char LICENSE[] SEC("license") = "GPL";

/* skip_kthreads: user space sets it before each read when kernel threads are not wanted.
 * Not const: the program is loaded once and reused by snapshots that differ. */
__u32 skip_kthreads = 0;

/* Kernels before 5.14 called __state "state". */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

/* Kernels 5.16..6.17 keep the cpu in task_struct, not in thread_info. */
struct task_struct___cpu {
	unsigned int cpu;
} __attribute__((preserve_access_index));

/* Kernels before 6.2 count RSS in atomics instead of percpu_counters. */
struct mm_rss_stat___pre62 {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));
struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
} __attribute__((preserve_access_index));

enum { RSS_FILE = 0, RSS_ANON = 1, RSS_SHMEM = 3 }; /* MM_FILEPAGES, MM_ANONPAGES, MM_SHMEMPAGES */

/* Fields are read with plain loads: the iterator hands us a trusted task pointer, and the
 * verifier turns these into fault-safe loads, far cheaper than bpf_probe_read_kernel(). */
static __always_inline __s64 rss_counter(struct mm_struct *mm, int i)
{
	if (bpf_core_type_exists(struct mm_rss_stat___pre62))
		return BPF_CORE_READ((struct mm_struct___pre62 *)mm, rss_stat.count[i].counter);
	/* percpu_counter.count lags the per-CPU deltas by at most batch*ncpus pages,
	 * as get_mm_counter() in the kernel does. */
	return mm->rss_stat[i].count;
}

static __always_inline void fill_mm(struct task_rec *r, struct mm_struct *mm)
{
	r->start_code = mm->start_code;
	r->end_code = mm->end_code;
	r->start_data = mm->start_data;
	r->end_data = mm->end_data;
	r->start_brk = mm->start_brk;
	r->brk = mm->brk;
	r->start_stack = mm->start_stack;
	r->total_vm = mm->total_vm;
	r->rss_file = rss_counter(mm, RSS_FILE);
	r->rss_anon = rss_counter(mm, RSS_ANON);
	r->rss_shmem = rss_counter(mm, RSS_SHMEM);
	r->have |= TASK_REC_HAVE_MM;
}

static __always_inline void fill_group(struct task_rec *r, struct task_struct *task)
{
	struct signal_struct *sig = task->signal;

	if (!sig)
		return;
	r->sig_utime = sig->utime;
	r->sig_stime = sig->stime;
	r->sig_sum_exec_runtime = sig->sum_sched_runtime;
	r->sig_prev_utime = sig->prev_cputime.utime;
	r->sig_prev_stime = sig->prev_cputime.stime;
	r->nr_threads = sig->nr_threads;
	r->have |= TASK_REC_HAVE_GROUP;
}

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct task_rec r = {};

	if (!task)
		return 0;
	r.flags = task->flags;
	if (skip_kthreads && (r.flags & TASK_REC_PF_KTHREAD))
		return 0;

	r.pid = task->pid;
	r.tgid = task->tgid;
	r.ppid = task->real_parent->tgid;
	r.uid = task->real_cred->uid.val;
	__builtin_memcpy(r.comm, task->comm, sizeof(r.comm));
	if (bpf_core_field_exists(task->__state))
		r.state = task->__state;
	else
		r.state = BPF_CORE_READ((struct task_struct___pre514 *)task, state);
	r.exit_state = task->exit_state;
	if (bpf_core_field_exists(task->thread_info.cpu))
		r.cpu = task->thread_info.cpu;
	else if (bpf_core_field_exists(((struct task_struct___cpu *)task)->cpu))
		r.cpu = BPF_CORE_READ((struct task_struct___cpu *)task, cpu);
	else
		r.cpu = -1;
	r.prio = task->prio;
	r.static_prio = task->static_prio;
	r.normal_prio = task->normal_prio;
	r.rt_priority = task->rt_priority;
	r.policy = task->policy;
	r.utime = task->utime;
	r.stime = task->stime;
	r.prev_utime = task->prev_cputime.utime;
	r.prev_stime = task->prev_cputime.stime;
	r.sum_exec_runtime = task->se.sum_exec_runtime;
	r.nvcsw = task->nvcsw;
	r.nivcsw = task->nivcsw;
	r.start_time = task->start_time;
	if (bpf_core_field_exists(task->start_boottime))
		r.start_boottime = task->start_boottime;
	else
		r.start_boottime = r.start_time;
	if (bpf_core_field_exists(task->sched_info)) {
		r.run_delay = task->sched_info.run_delay;
		r.pcount = task->sched_info.pcount;
		r.have |= TASK_REC_HAVE_SCHEDINFO;
	}

	/* A kernel thread may borrow a user mm (kthread_use_mm); /proc shows it none, nor do we. */
	if (!(r.flags & TASK_REC_PF_KTHREAD)) {
		struct mm_struct *mm = task->mm;

		if (mm)
			fill_mm(&r, mm);
	}
	if (r.pid == r.tgid)
		fill_group(&r, task);

	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
