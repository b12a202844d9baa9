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

/* nr_cpus: possible CPUs, set before load; 0 reads only the RSS counters' central count. */
const volatile __u32 nr_cpus = 0;

/* this_cpu_off: x86's per-CPU copy of its own per-CPU offset. The verifier needs its address
 * from kallsyms, which kernels without CONFIG_KALLSYMS_ALL do not list: then dump_task fails
 * to load and user space loads dump_task_approx instead. */
extern const unsigned long this_cpu_off __ksym __weak;

#define MAX_CPUS 8192

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

/* rss_counter() reads counter i of mm. Since 6.2 it is a percpu_counter whose .count lags the
 * per-CPU deltas by up to batch*ncpus pages; with `exact` we add the deltas, as /proc's
 * statm/status do (get_mm_counter_sum) at the cost of one read per CPU. */
static __always_inline __s64 rss_counter(struct mm_struct *mm, int i, bool exact)
{
	if (bpf_core_type_exists(struct mm_rss_stat___pre62))
		return BPF_CORE_READ((struct mm_struct___pre62 *)mm, rss_stat.count[i].counter);
	__s64 sum = mm->rss_stat[i].count;
	if (!exact)
		return sum;
	unsigned long counters = (unsigned long)mm->rss_stat[i].counters;
	for (__u32 cpu = 0; cpu < nr_cpus && cpu < MAX_CPUS; cpu++) {
		const unsigned long *off = bpf_per_cpu_ptr(&this_cpu_off, cpu);
		__s32 v = 0;

		if (!off)
			break;
		bpf_probe_read_kernel(&v, sizeof(v), (void *)(counters + *off));
		sum += v;
	}
	return sum;
}

static __always_inline void fill_mm(struct task_rec *r, struct mm_struct *mm, bool exact)
{
	r->start_code = mm->start_code;
	r->end_code = mm->end_code;
	r->start_data = mm->start_data;
	r->end_data = mm->end_data;
	r->start_brk = mm->start_brk;
	r->brk = mm->brk;
	r->start_stack = mm->start_stack;
	r->total_vm = mm->total_vm;
	r->rss_file = rss_counter(mm, RSS_FILE, exact);
	r->rss_anon = rss_counter(mm, RSS_ANON, exact);
	r->rss_shmem = rss_counter(mm, RSS_SHMEM, exact);
	r->have |= TASK_REC_HAVE_MM;
	if (exact || bpf_core_type_exists(struct mm_rss_stat___pre62))
		r->have |= TASK_REC_HAVE_RSS_EXACT;
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

/* rec_buf is a record and its argv, built in place and written with one bpf_seq_write(). The
 * 8 spare bytes let the verifier see that the padded length always fits. */
struct rec_buf {
	struct task_rec r;
	char argv[TASK_ITER_ARGV_MAX + 8];
};

/* scratch holds the rec_buf: too big for the 512-byte BPF stack. Per CPU and used by one
 * iterator at a time: the sleepable program runs with migration disabled. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rec_buf);
} scratch SEC(".maps");

/* copy_argv() reads mm's argv (arg_start..arg_end) from the task's user memory into b->argv,
 * at most TASK_ITER_ARGV_MAX bytes, and returns the bytes to append to the record (padded).
 * Only a sleepable program may call it: the pages may have to be faulted in. */
static __always_inline __u32 copy_argv(struct rec_buf *b, struct task_struct *task, struct mm_struct *mm)
{
	unsigned long start = mm->arg_start, end = mm->arg_end;
	__u32 n;

	b->r.have |= TASK_REC_HAVE_ARGV;
	if (end <= start)
		return 0;
	if (end - start > TASK_ITER_ARGV_MAX) {
		b->r.have |= TASK_REC_ARGV_PARTIAL;
		n = TASK_ITER_ARGV_MAX;
	} else {
		n = end - start;
	}
	/* Zero the last 8-byte word first: its padding would otherwise carry an older argv. */
	*(__u64 *)&b->argv[(n - 1) & (TASK_ITER_ARGV_MAX - 1) & ~7u] = 0;
	if (bpf_copy_from_user_task(b->argv, n, (void *)start, task, 0)) {
		b->r.have |= TASK_REC_ARGV_PARTIAL;
		return 0;
	}
	b->r.argv_len = n;
	return (n + 7) & ~7u;
}

static __always_inline int dump(struct bpf_iter__task *ctx, bool sum_percpu, bool argv)
{
	struct task_struct *task = ctx->task;
	__u32 zero = 0, len = sizeof(struct task_rec);
	struct rec_buf *b;
	struct task_rec *r;

	if (!task)
		return 0;
	if (skip_kthreads && (task->flags & TASK_REC_PF_KTHREAD))
		return 0;
	b = bpf_map_lookup_elem(&scratch, &zero);
	if (!b)
		return 0;
	r = &b->r;
	__builtin_memset(r, 0, sizeof(*r));
	r->flags = task->flags;
	r->pid = task->pid;
	r->tgid = task->tgid;
	r->ppid = task->real_parent->tgid;
	r->uid = task->cred->euid.val;
	__builtin_memcpy(r->comm, task->comm, sizeof(r->comm));
	if (bpf_core_field_exists(task->__state))
		r->state = task->__state;
	else
		r->state = BPF_CORE_READ((struct task_struct___pre514 *)task, state);
	r->exit_state = task->exit_state;
	if (bpf_core_field_exists(task->thread_info.cpu))
		r->cpu = task->thread_info.cpu;
	else if (bpf_core_field_exists(((struct task_struct___cpu *)task)->cpu))
		r->cpu = BPF_CORE_READ((struct task_struct___cpu *)task, cpu);
	else
		r->cpu = -1;
	r->prio = task->prio;
	r->static_prio = task->static_prio;
	r->normal_prio = task->normal_prio;
	r->rt_priority = task->rt_priority;
	r->policy = task->policy;
	r->utime = task->utime;
	r->stime = task->stime;
	r->prev_utime = task->prev_cputime.utime;
	r->prev_stime = task->prev_cputime.stime;
	r->sum_exec_runtime = task->se.sum_exec_runtime;
	r->nvcsw = task->nvcsw;
	r->nivcsw = task->nivcsw;
	r->start_time = task->start_time;
	if (bpf_core_field_exists(task->start_boottime))
		r->start_boottime = task->start_boottime;
	else
		r->start_boottime = r->start_time;
	if (bpf_core_field_exists(task->sched_info)) {
		r->run_delay = task->sched_info.run_delay;
		r->pcount = task->sched_info.pcount;
		r->have |= TASK_REC_HAVE_SCHEDINFO;
	}

	/* A kernel thread may borrow a user mm (kthread_use_mm); /proc shows it none, nor do we. */
	if (!(r->flags & TASK_REC_PF_KTHREAD)) {
		struct mm_struct *mm = task->mm;

		/* The exact RSS sum is paid once per process: by the leader, or by every thread
		 * when the leader has exited (its mm is gone). */
		if (mm) {
			fill_mm(r, mm, sum_percpu && (r->pid == r->tgid || !task->group_leader->mm));
			/* Threads share the leader's argv; a zombie leader has none, as in /proc. */
			if (argv && r->pid == r->tgid)
				len += copy_argv(b, task, mm);
		}
	}
	if (r->pid == r->tgid)
		fill_group(r, task);

	bpf_seq_write(ctx->meta->seq, b, len);
	return 0;
}

/* DUMP_PROGRAM defines one variant: user space loads the best the kernel accepts, in this order. */
#define DUMP_PROGRAM(sec, name, exact_rss, argv)          \
	SEC(sec) int name(struct bpf_iter__task *ctx)     \
	{                                                 \
		return dump(ctx, exact_rss, argv);        \
	}

/* argv copied in the kernel (sleepable: Linux 5.18's bpf_copy_from_user_task), exact RSS
 * (summing per-CPU deltas: needs this_cpu_off in kallsyms). */
DUMP_PROGRAM("iter.s/task", dump_task_argv, true, true)
/* argv, RSS from the percpu_counters' central count only. */
DUMP_PROGRAM("iter.s/task", dump_task_argv_approx, false, true)
/* Not sleepable: argv is left to user space (/proc/PID/cmdline). */
DUMP_PROGRAM("iter/task", dump_task, true, false)
DUMP_PROGRAM("iter/task", dump_task_approx, false, false)
