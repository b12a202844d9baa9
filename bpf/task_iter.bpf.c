// SPDX-License-Identifier: GPL-2.0
/* task_iter.bpf.c: iter/task program that writes one struct task_rec per task, so that one
 * read() of the iterator returns every task_struct's numbers without touching /proc. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "task_iter.h"
#include "pidns.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* nr_cpus: possible CPUs, set before load; 0 reads only the RSS counters' central count. */
const volatile __u32 nr_cpus = 0;

#define MAX_CPUS 8192
#define PF_WQ_WORKER 0x00000020u

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
static const int rss_index[3] = {RSS_FILE, RSS_ANON, RSS_SHMEM};

/* rec_buf is a record and its tail (argv or name), built in place and written with one
 * bpf_seq_write(). The 8 spare bytes let the verifier see that the padded length always fits. */
struct rec_buf {
	struct task_rec r;
	char tail[TASK_ITER_ARGV_MAX + 8];
};

/* scratch holds the rec_buf: too big for the 512-byte BPF stack. Per CPU and used by one
 * iterator at a time: the sleepable program runs with migration disabled. Being per-CPU memory,
 * it also tells each CPU's per-CPU offset (see percpu_offset()). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rec_buf);
} scratch SEC(".maps");

/* Fields are read with plain loads: the iterator hands us a trusted task pointer, and the
 * verifier turns these into fault-safe loads, far cheaper than bpf_probe_read_kernel(). */

/* addr_of() is the kernel address `p` holds, as a number (the verifier keeps pointers typed). */
static __always_inline __u64 addr_of(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

/* scratch_pptr() is the per-CPU pointer of scratch's only element (bpf_array.pptrs[0]): the
 * per-CPU address every CPU's copy is found from by adding that CPU's offset. 0 when unreadable. */
static __always_inline __u64 scratch_pptr(void)
{
	__u64 pptr = 0;

	bpf_probe_read_kernel(&pptr, sizeof(pptr),
			      (void *)(addr_of(&scratch) + bpf_core_field_offset(struct bpf_array, pptrs)));
	return pptr;
}

/* percpu_offset() sets *off to the kernel's per_cpu_offset(cpu), found without kallsyms: CPU
 * `cpu`'s copy of scratch minus scratch's per-CPU pointer. False past the last possible CPU.
 * Linux 5.19+ (bpf_map_lookup_percpu_elem): older kernels refuse the program and load an
 * approximate variant. */
static __always_inline bool percpu_offset(__u64 pptr, __u32 cpu, __u64 *off)
{
	__u32 zero = 0;
	void *copy = bpf_map_lookup_percpu_elem(&scratch, &zero, cpu);

	if (!copy)
		return false;
	*off = addr_of(copy) - pptr;
	return true;
}

/* read_rss() fills r->rss_* from mm's counters. Since 6.2 each is a percpu_counter whose .count
 * lags the per-CPU deltas by up to batch*ncpus pages; with `exact` the deltas are added, as
 * /proc/PID/status's VmRSS does (get_mm_counter_sum), at the cost of one read per CPU and counter.
 * Returns whether the result is exact. */
static __always_inline bool read_rss(struct task_rec *r, struct mm_struct *mm, bool exact)
{
	__s64 sum[3];

	if (bpf_core_type_exists(struct mm_rss_stat___pre62)) {
		struct mm_struct___pre62 *old = (void *)mm;

		r->rss_file = BPF_CORE_READ(old, rss_stat.count[RSS_FILE].counter);
		r->rss_anon = BPF_CORE_READ(old, rss_stat.count[RSS_ANON].counter);
		r->rss_shmem = BPF_CORE_READ(old, rss_stat.count[RSS_SHMEM].counter);
		return true;
	}
	for (int i = 0; i < 3; i++)
		sum[i] = mm->rss_stat[rss_index[i]].count;
	if (exact) {
		__u64 pptr = scratch_pptr();
		__u64 counters[3];

		for (int i = 0; i < 3; i++)
			counters[i] = (unsigned long)mm->rss_stat[rss_index[i]].counters;
		exact = pptr != 0;
		for (__u32 cpu = 0; exact && cpu < nr_cpus && cpu < MAX_CPUS; cpu++) {
			__u64 off;

			if (!percpu_offset(pptr, cpu, &off))
				break;
			for (int i = 0; i < 3; i++) {
				__s32 v = 0;

				if (bpf_probe_read_kernel(&v, sizeof(v), (void *)(counters[i] + off)))
					exact = false;
				sum[i] += v;
			}
		}
	}
	r->rss_file = sum[0];
	r->rss_anon = sum[1];
	r->rss_shmem = sum[2];
	return exact;
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
	r->have |= TASK_REC_HAVE_MM;
	if (read_rss(r, mm, exact))
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

/* copy_argv() reads mm's argv (arg_start..arg_end) from the task's user memory into b->tail,
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
	*(__u64 *)&b->tail[(n - 1) & (TASK_ITER_ARGV_MAX - 1) & ~7u] = 0;
	if (bpf_copy_from_user_task(b->tail, n, (void *)start, task, 0)) {
		b->r.have |= TASK_REC_ARGV_PARTIAL;
		return 0;
	}
	b->r.tail_len = n;
	return (n + 7) & ~7u;
}

/* copy_kname() writes kernel thread `task`'s name as /proc shows it (proc_task_name()) into
 * b->tail, when it is more than its 15-byte comm, and returns the bytes to append (padded): the
 * kthread's full name (names longer than comm, Linux 5.17+), and for a workqueue worker the
 * description of its latest work, "+desc" while it runs, "-desc" after (wq_worker_comm()). The
 * kernel reads the worker under the pool's lock; this read may catch it changing work, as a
 * second read of /proc would. /proc's 63-byte bound is applied in user space. */
static __always_inline __u32 copy_kname(struct rec_buf *b, struct task_struct *task)
{
	struct kthread *kt;
	char *full;
	long n;

	if (!bpf_core_field_exists(task->worker_private))
		return 0;
	kt = task->worker_private;
	if (!kt)
		return 0;
	full = BPF_CORE_READ(kt, full_name);
	if (!full && !(task->flags & PF_WQ_WORKER))
		return 0;
	/* Zero what the name may cover: the padding would otherwise carry an older tail. */
	for (int i = 0; i < (TASK_ITER_KNAME_MAX + 32 + 8) / 8; i++)
		((__u64 *)b->tail)[i] = 0;
	n = full ? bpf_probe_read_kernel_str(b->tail, TASK_ITER_KNAME_MAX, full)
		 : bpf_probe_read_kernel_str(b->tail, TASK_COMM_LEN, task->comm);
	if (n <= 1)
		return 0;
	n -= 1; /* the NUL */
	if (task->flags & PF_WQ_WORKER) {
		struct worker *w = BPF_CORE_READ(kt, data);
		char desc0 = 0;

		if (w && BPF_CORE_READ(w, pool) && !bpf_core_read(&desc0, 1, &w->desc) && desc0) {
			__u32 at = n & (TASK_ITER_KNAME_MAX - 1);
			long d;

			b->tail[at] = BPF_CORE_READ(w, current_work) ? '+' : '-';
			d = bpf_probe_read_kernel_str(&b->tail[at + 1], sizeof(w->desc), &w->desc);
			if (d > 1)
				n = at + d; /* sign, desc, no NUL */
		}
	}
	/* n <= 63 + 1 + 31: the mask only tells the verifier so. */
	b->r.tail_len = (__u32)n & 127;
	b->r.have |= TASK_REC_HAVE_KNAME;
	return (((__u32)n & 127) + 7) & ~7u;
}

static __always_inline int dump(struct bpf_iter__task *ctx, bool sum_percpu, bool argv)
{
	struct task_struct *task = ctx->task;
	__u32 zero = 0, len = sizeof(struct task_rec);
	struct rec_buf *b;
	struct task_rec *r;

	if (!task)
		return 0;
	b = bpf_map_lookup_elem(&scratch, &zero);
	if (!b)
		return 0;
	r = &b->r;
	__builtin_memset(r, 0, sizeof(*r));
	r->flags = task->flags;
	if (pidns_ino) {
		r->pid = task_tid_ns(task);
		r->tgid = task_tgid_ns(task);
		r->ppid = task_tgid_ns(task->real_parent);
		if (!r->pid || !r->tgid)
			return 0; /* being reaped, or not in our namespace */
	} else {
		r->pid = task->pid;
		r->tgid = task->tgid;
		r->ppid = task->real_parent->tgid;
	}
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
	if (r->flags & TASK_REC_PF_KTHREAD) {
		len += copy_kname(b, task);
	} else {
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
 * (summing per-CPU deltas: Linux 5.19's bpf_map_lookup_percpu_elem). */
DUMP_PROGRAM("iter.s/task", dump_task_argv, true, true)
/* argv, RSS from the percpu_counters' central count only. */
DUMP_PROGRAM("iter.s/task", dump_task_argv_approx, false, true)
/* Not sleepable: argv is left to user space (/proc/PID/cmdline). */
DUMP_PROGRAM("iter/task", dump_task, true, false)
DUMP_PROGRAM("iter/task", dump_task_approx, false, false)
