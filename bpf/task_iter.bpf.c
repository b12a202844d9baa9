// SPDX-License-Identifier: GPL-2.0
/* task_iter.bpf.c: iter/task program that writes one struct task_rec per task, so that one
 * read() of the iterator returns every task_struct's numbers without touching /proc. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "task_iter.h"

char LICENSE[] SEC("license") = "GPL";

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

#define PERCPU_MAP scratch
#include "task_fill.bpf.h"

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
	__builtin_memset(r, 0, sizeof(*r)); /* the stream carries whole records: no older bytes */
	if (!fill_rec(r, task, sum_percpu, true))
		return 0;
	if (r->flags & TASK_REC_PF_KTHREAD) {
		len += copy_kname(r, b->tail, task);
	} else if (argv && r->pid == r->tgid) {
		struct mm_struct *mm = task->mm;

		/* Threads share the leader's argv; a zombie leader has none, as in /proc. */
		if (mm)
			len += copy_argv(b, task, mm);
	}
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
