// SPDX-License-Identifier: GPL-2.0
/* task_walk.bpf.c: the open-coded task snapshot (Linux 6.7+: the bpf_iter_task kfuncs). One run of
 * this syscall program (BPF_PROG_RUN) walks every task under the RCU read lock and writes one
 * fixed struct walk_rec per task into a BPF_F_MMAPABLE array that user space has mapped and reads
 * in place: no seq_file, no copy per read, and none of iter/task's per-task pid lookups. Command
 * lines cannot be read in that walk (bpf_copy_from_user_task may sleep; the RCU read lock does not
 * allow it), so a second phase, after the lock is dropped, takes each recorded leader again by pid
 * (bpf_task_from_pid), checks it is the same task (start_time), and copies its argv. The record and
 * tail maps are inner maps of one-slot map-in-maps: each reader puts its own there before a run
 * (under the pin's lock), so a pinned program serves every process, and a reader whose maps
 * turned out too small makes bigger ones without loading the program again. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "task_walk.h"

char LICENSE[] SEC("license") = "GPL";

extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task, unsigned int flags) __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __ksym;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

/* argv_buf is where the second phase copies one argv before splitting it into chunks. */
struct argv_buf {
	char b[TASK_ITER_ARGV_MAX + 8];
};

/* scratch holds the argv_buf (too big for the stack). Per CPU: the program runs with migration
 * disabled, and readers of a pinned program take turns (iter_pin.h, lock()). Being per-CPU memory,
 * it also tells each CPU's per-CPU offset (task_fill.bpf.h, percpu_offset()). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct argv_buf);
} scratch SEC(".maps");

#define PERCPU_MAP scratch
#define PIDNS_LEVEL_SET_FIRST 1
#include "task_fill.bpf.h"

/* recs_inner and tails_inner are the shapes of the readers' maps: any number of entries
 * (BPF_F_INNER_MAP), mappable by user space (BPF_F_MMAPABLE). */
struct recs_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct walk_rec));
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
};
struct tails_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct walk_chunk));
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
};

/* recs and tails hold, in their only slot, the maps of the reader that runs the program. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct recs_inner);
} recs SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct tails_inner);
} tails SEC(".maps");

/* run is the running walk's arguments and counts: a copy of the context, which the verifier does
 * not let code address through derived pointers. Global, so the counts are map memory, which the
 * verifier does not follow value by value through the loops. One run at a time: readers of a
 * pinned program take turns (iter_pin.h, lock()). */
struct walk_args run = {};

_Static_assert(__builtin_offsetof(struct walk_rec, tail_at) == 0 && __builtin_offsetof(struct walk_rec, kpid) == 4,
	       "tail_at and kpid are stored as one pair (put2())");

/* take_chunks() reserves `n` consecutive chunks of the tails map and returns the first; false when
 * they do not fit (WALK_TAILS_FULL: tails_used still counts them, for the reader's next size). */
static __always_inline bool take_chunks(struct walk_args *a, __u32 n, __u32 *at)
{
	__u32 first = a->tails_used;

	a->tails_used = first + n;
	if (first + n > a->tail_cap) {
		a->status |= WALK_TAILS_FULL;
		return false;
	}
	*at = first;
	return true;
}

/* record() writes task `task`'s record into the next slot (a kernel thread's name into a chunk);
 * a task the reader does not see takes no slot. Past rec_cap it only counts (WALK_RECS_FULL). */
static __always_inline void record(struct walk_args *a, void *rmap, void *tmap, struct task_struct *task,
				   bool exact, bool want_mm)
{
	__u32 slot = a->count, at = 0;
	struct walk_chunk *c;
	struct walk_rec *w;

	a->count = slot + 1;
	if (slot >= a->rec_cap) {
		a->status |= WALK_RECS_FULL;
		return;
	}
	w = bpf_map_lookup_elem(rmap, &slot);
	if (!w) {
		a->status |= WALK_RECS_FULL;
		return;
	}
	if (!fill_rec(&w->r, task, exact, want_mm)) {
		a->count = slot;
		return;
	}
	put2(&w->tail_at, 0, task->pid); /* tail_at, kpid */
	if (!(w->r.flags & TASK_REC_PF_KTHREAD) || !take_chunks(a, 1, &at))
		return;
	c = bpf_map_lookup_elem(tmap, &at);
	if (c && copy_kname(&w->r, c->b, task))
		w->tail_at = at;
	else
		a->tails_used = at; /* no name to add: give the chunk back */
}

/* read_argv() is the second phase for one leader's record: its argv, copied from user memory
 * as /proc/PID/cmdline has it (at most TASK_ITER_ARGV_MAX bytes), into consecutive chunks. A leader
 * gone since the walk (or a new task with its pid) gets no TASK_REC_HAVE_ARGV, as a zombie leader,
 * and user space asks /proc. */
static __always_inline void read_argv(struct walk_args *a, struct walk_rec *w, void *tmap)
{
	struct task_struct *t = bpf_task_from_pid(w->kpid);
	unsigned long start, end;
	struct argv_buf *buf;
	struct mm_struct *mm;
	__u32 zero = 0, n, at = 0;

	if (!t)
		return;
	mm = t->mm;
	if (t->start_time != w->r.start_time || !mm)
		goto out;
	start = mm->arg_start;
	end = mm->arg_end;
	w->r.have |= TASK_REC_HAVE_ARGV;
	if (end <= start)
		goto out;
	if (end - start > TASK_ITER_ARGV_MAX) {
		w->r.have |= TASK_REC_ARGV_PARTIAL;
		n = TASK_ITER_ARGV_MAX;
	} else {
		n = end - start;
	}
	buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!buf)
		goto out;
	/* Zero the last 8-byte word first: its padding would otherwise carry an older argv. */
	*(__u64 *)&buf->b[(n - 1) & (TASK_ITER_ARGV_MAX - 1) & ~7u] = 0;
	if (bpf_copy_from_user_task(buf->b, n, (void *)start, t, 0)) {
		w->r.have |= TASK_REC_ARGV_PARTIAL;
		goto out;
	}
	if (!take_chunks(a, (n + WALK_CHUNK - 1) / WALK_CHUNK, &at))
		goto out;
	for (__u32 j = 0; j < TASK_ITER_ARGV_MAX / WALK_CHUNK; j++) {
		__u32 key = at + j;
		struct walk_chunk *c;

		if (j * WALK_CHUNK >= n)
			break;
		c = bpf_map_lookup_elem(tmap, &key);
		if (!c)
			goto out;
		__builtin_memcpy(c->b, &buf->b[j * WALK_CHUNK], WALK_CHUNK);
	}
	w->tail_at = at;
	w->r.tail_len = n;
	a->argv_read++;
out:
	bpf_task_release(t);
}

/* walk_run() is the whole run; `exact` sums the RSS counters' per-CPU deltas (Linux 5.19's
 * bpf_map_lookup_percpu_elem, always there with the task kfuncs). */
static __always_inline int walk_run(struct walk_args *ctx, struct walk_args *a, bool exact)
{
	struct task_struct *group = NULL, *task;
	struct bpf_iter_task it;
	struct bpf_iter_num rit;
	__u32 zero = 0, want;
	void *rmap, *tmap;
	int *i;

	a->want = want = ctx->want;
	a->rec_cap = ctx->rec_cap;
	a->tail_cap = ctx->tail_cap;
	a->tgid = ctx->tgid;
	a->count = 0;
	a->tails_used = 0;
	a->status = 0;
	a->argv_read = 0;
	rmap = bpf_map_lookup_elem(&recs, &zero);
	tmap = bpf_map_lookup_elem(&tails, &zero);
	if (!rmap || !tmap)
		return -1; /* the reader put no maps in */
	if (pidns_ino && pidns_level < 0)
		pidns_learn_level(bpf_get_current_task_btf());
	if (a->tgid > 0) {
		/* Only the initial namespace's numbers can be looked up (user space asks so only there). */
		group = bpf_task_from_pid(a->tgid);
		if (!group) {
			a->status |= WALK_NO_TASK;
			return 0;
		}
	}
	bpf_rcu_read_lock();
	bpf_iter_task_new(&it, group, group ? BPF_TASK_ITER_PROC_THREADS : BPF_TASK_ITER_ALL_THREADS);
	while ((task = bpf_iter_task_next(&it)))
		record(a, rmap, tmap, task, exact, want & WALK_WANT_MM);
	bpf_iter_task_destroy(&it);
	bpf_rcu_read_unlock();
	if (group)
		bpf_task_release(group);

	if (!(want & WALK_WANT_ARGV) || (a->status & WALK_RECS_FULL))
		return 0;
	bpf_iter_num_new(&rit, 0, a->count);
	while ((i = bpf_iter_num_next(&rit))) {
		__u32 slot = *i;
		struct walk_rec *w = bpf_map_lookup_elem(rmap, &slot);

		if (w && w->r.pid == w->r.tgid && !(w->r.flags & TASK_REC_PF_KTHREAD))
			read_argv(a, w, tmap);
	}
	bpf_iter_num_destroy(&rit);
	return 0;
}

/* walk() runs walk_run() on `run`, a copy of the context, and copies the counts back. */
static __always_inline int walk(struct walk_args *ctx, bool exact)
{
	int ret = walk_run(ctx, &run, exact);

	ctx->count = run.count;
	ctx->tails_used = run.tails_used;
	ctx->status = run.status;
	ctx->argv_read = run.argv_read;
	return ret;
}

/* User space loads the best variant the kernel accepts, in this order. */
SEC("syscall")
int walk_tasks(struct walk_args *a)
{
	return walk(a, true);
}

SEC("syscall")
int walk_tasks_approx(struct walk_args *a)
{
	return walk(a, false);
}
