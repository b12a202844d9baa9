/* task_fill.bpf.h: filling a struct task_rec from a task_struct, shared by the two snapshot
 * programs (task_iter.bpf.c, the iter/task one, and task_walk.bpf.c, the open-coded walk) so that
 * both write the very same numbers. The includer defines PERCPU_MAP, a BPF_MAP_TYPE_PERCPU_ARRAY of
 * at least one element, before including it: the exact RSS sum finds per-CPU offsets through it.
 * Included by one .bpf.c each. */
#ifndef TASK_FILL_BPF_H
#define TASK_FILL_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "task_iter.h"
#include "pidns.bpf.h"

/* nr_cpus: possible CPUs, set before load; 0 reads only the RSS counters' central count. */
const volatile __u32 nr_cpus = 0;

/* KNAME_TAIL_ROOM is the room copy_kname() may write to: a name, a sign, a work's description, padding. */
#define KNAME_TAIL_ROOM (TASK_ITER_KNAME_MAX + 32 + 8)

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

/* Fields are read with plain loads: the iterators hand us a trusted task pointer, and the
 * verifier turns these into fault-safe loads, far cheaper than bpf_probe_read_kernel(). */

/* addr_of() is the kernel address `p` holds, as a number (the verifier keeps pointers typed). */
static __always_inline __u64 addr_of(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

/* scratch_pptr() is the per-CPU pointer of PERCPU_MAP's only element (bpf_array.pptrs[0]): the
 * per-CPU address every CPU's copy is found from by adding that CPU's offset. 0 when unreadable. */
static __always_inline __u64 scratch_pptr(void)
{
	__u64 pptr = 0;

	bpf_probe_read_kernel(&pptr, sizeof(pptr),
			      (void *)(addr_of(&PERCPU_MAP) + bpf_core_field_offset(struct bpf_array, pptrs)));
	return pptr;
}

/* percpu_offset() sets *off to the kernel's per_cpu_offset(cpu), found without kallsyms: CPU
 * `cpu`'s copy of scratch minus PERCPU_MAP's per-CPU pointer. False past the last possible CPU.
 * Linux 5.19+ (bpf_map_lookup_percpu_elem): older kernels refuse the program and load an
 * approximate variant. */
static __always_inline bool percpu_offset(__u64 pptr, __u32 cpu, __u64 *off)
{
	__u32 zero = 0;
	void *copy = bpf_map_lookup_percpu_elem(&PERCPU_MAP, &zero, cpu);

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
		/* Failures are or-ed, not branched on: a branch per read multiplied the verifier's
		 * states past its limit in the pid-namespace variant. */
		long failed = pptr == 0;

		for (__u32 cpu = 0; !failed && cpu < nr_cpus && cpu < MAX_CPUS; cpu++) {
			__u64 off;

			if (!percpu_offset(pptr, cpu, &off))
				break;
			for (int i = 0; i < 3; i++) {
				__s32 v = 0;

				failed |= bpf_probe_read_kernel(&v, sizeof(v), (void *)(counters[i] + off));
				sum[i] += v;
			}
		}
		exact = !failed;
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
	r->exec_id = task->self_exec_id;
	r->have |= TASK_REC_HAVE_GROUP;
}

/* put2() stores two adjacent 4-byte fields, `lo` at `at` (8-byte aligned) and `hi` after it, in
 * one store: a slot's lines are cold, and each store that misses holds a store-buffer entry. */
static __always_inline void put2(void *at, __u32 lo, __u32 hi)
{
	*(__u64 *)at = (__u64)lo | (__u64)hi << 32;
}

#define TASK_REC_PAIR(a, b)                                                                        \
	_Static_assert(__builtin_offsetof(struct task_rec, a) % 8 == 0 &&                           \
			       __builtin_offsetof(struct task_rec, b) == __builtin_offsetof(struct task_rec, a) + 4, \
		       #a " and " #b " are stored as one pair")
TASK_REC_PAIR(pid, tgid);
TASK_REC_PAIR(ppid, uid);
TASK_REC_PAIR(state, exit_state);
TASK_REC_PAIR(flags, cpu);
TASK_REC_PAIR(prio, static_prio);
TASK_REC_PAIR(normal_prio, rt_priority);
TASK_REC_PAIR(policy, have);
TASK_REC_PAIR(tail_len, nr_threads);

/* copy_kname() writes kernel thread `task`'s name as /proc shows it (proc_task_name()) into `tail`
 * (KNAME_TAIL_ROOM bytes at least), when it is more than its 15-byte comm, sets r->tail_len and
 * TASK_REC_HAVE_KNAME, and returns the bytes to append (padded; 0 when no name follows): the kthread's full name (names longer than comm, Linux 5.17+), and for a workqueue worker the
 * description of its latest work, "+desc" while it runs, "-desc" after (wq_worker_comm()). The
 * kernel reads the worker under the pool's lock; this read may catch it changing work, as a
 * second read of /proc would. /proc's 63-byte bound is applied in user space. */
static __always_inline __u32 copy_kname(struct task_rec *r, char *tail, struct task_struct *task)
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
	for (int i = 0; i < KNAME_TAIL_ROOM / 8; i++)
		((__u64 *)tail)[i] = 0;
	n = full ? bpf_probe_read_kernel_str(tail, TASK_ITER_KNAME_MAX, full)
		 : bpf_probe_read_kernel_str(tail, TASK_COMM_LEN, task->comm);
	if (n <= 1)
		return 0;
	n -= 1; /* the NUL */
	if (task->flags & PF_WQ_WORKER) {
		struct worker *w = BPF_CORE_READ(kt, data);
		char desc0 = 0;

		if (w && BPF_CORE_READ(w, pool) && !bpf_core_read(&desc0, 1, &w->desc) && desc0) {
			__u32 at = n & (TASK_ITER_KNAME_MAX - 1);
			long d;

			tail[at] = BPF_CORE_READ(w, current_work) ? '+' : '-';
			d = bpf_probe_read_kernel_str(&tail[at + 1], sizeof(w->desc), &w->desc);
			if (d > 1)
				n = at + d; /* sign, desc, no NUL */
		}
	}
	/* n <= 63 + 1 + 31: the mask only tells the verifier so. */
	r->tail_len = (__u32)n & 127;
	r->have |= TASK_REC_HAVE_KNAME;
	return (((__u32)n & 127) + 7) & ~7u;
}

/* fill_rec() writes what every record carries of `task` into r (every byte of TASK_REC_COMMON), and
 * the group's parts: the mm's only with `want_mm` (a request that shows no memory or layout column
 * does not pay for them) and only in the leader's record, or in every thread's when the leader
 * has exited, its exact RSS with `sum_percpu`; the signal's in the leader's. Returns false for a
 * task the reader does not see: being reaped, outside the reader's pid namespace, or the idle task. */
static __always_inline bool fill_rec(struct task_rec *r, struct task_struct *task, bool sum_percpu, bool want_mm)
{
	__u32 flags = task->flags, have = 0, pid, tgid, ppid, state, cpu;

	/* Every field of the common part is stored once, in pairs where two share 8 bytes, none
	 * zeroed first: a slot's lines are cold, and stores that miss fill the store buffer (the
	 * mm and group parts are written whole when read). The mm and group parts add their bits
	 * to `have` in the record, not in a register: a register's two values there would be two
	 * states for the verifier to follow through the walk's loop. */
	if (pidns_ino) {
		pid = task_tid_ns(task);
		tgid = task_tgid_ns(task);
		ppid = task_tgid_ns(task->real_parent);
		if (!pid || !tgid)
			return false; /* being reaped, or not in our namespace */
	} else {
		pid = task->pid;
		tgid = task->tgid;
		ppid = task->real_parent->tgid;
		if (!pid)
			return false; /* the idle task, where the open-coded walk starts: /proc has no pid 0 */
	}
	put2(&r->pid, pid, tgid);
	put2(&r->ppid, ppid, task->cred->euid.val);
	__builtin_memcpy(r->comm, task->comm, sizeof(r->comm));
	if (bpf_core_field_exists(task->__state))
		state = task->__state;
	else
		state = BPF_CORE_READ((struct task_struct___pre514 *)task, state);
	put2(&r->state, state, task->exit_state);
	if (bpf_core_field_exists(task->thread_info.cpu))
		cpu = task->thread_info.cpu;
	else if (bpf_core_field_exists(((struct task_struct___cpu *)task)->cpu))
		cpu = BPF_CORE_READ((struct task_struct___cpu *)task, cpu);
	else
		cpu = -1;
	put2(&r->flags, flags, cpu);
	put2(&r->prio, task->prio, task->static_prio);
	put2(&r->normal_prio, task->normal_prio, task->rt_priority);
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
		r->start_boottime = task->start_time;
	if (bpf_core_field_exists(task->sched_info)) {
		r->run_delay = task->sched_info.run_delay;
		r->pcount = task->sched_info.pcount;
		have |= TASK_REC_HAVE_SCHEDINFO;
	} else {
		r->run_delay = 0;
		r->pcount = 0;
	}
	put2(&r->policy, task->policy, have);
	put2(&r->tail_len, 0, 0); /* nr_threads: fill_group() */
	/* A kernel thread may borrow a user mm (kthread_use_mm); /proc shows it none, nor do we.
	 * The group's mm is read once: by the leader, or by every thread when the leader has exited
	 * (its mm is gone). Other threads leave the mm part unwritten, two of their slot's cache lines. */
	if (want_mm && !(flags & TASK_REC_PF_KTHREAD) && (task->pid == task->tgid || !task->group_leader->mm)) {
		struct mm_struct *mm = task->mm;

		if (mm)
			fill_mm(r, mm, sum_percpu);
	}
	if (pid == tgid)
		fill_group(r, task);
	return true;
}

#endif
