/* trace_sched.bpf.c: context switches for `taskscope trace sched`, streamed (one record per switch)
 * or summarised per thread in maps (summary_mode). Times come from what the scheduler already keeps
 * (the run queue clock, and sched_info's last_arrival, last_queued, run_delay and pcount, which it
 * writes for the task switched in right after this tracepoint, in context_switch()): a switch costs
 * no clock read, no wakeup hook and, in stream mode, no per-task storage; in summary mode under
 * tp_btf, one task storage lookup (prev's: what next's switch in did is read at its switch out).
 * tp_btf/ programs are preferred; raw_tp/ copies are the fallback. */
#include "trace_common.bpf.h"
#include "trace_sched.h"

char LICENSE[] SEC("license") = "GPL";

#define SCHED_RB_SIZE (16 << 20)
#define SUMMARY_RB_SIZE (8 << 20) /* set by user space in summary mode: exited threads only */

const volatile __u8 summary_mode = 0;

/* map_full counts threads the summary map had no room for. */
__u64 map_full = 0;

/* clock_off is CLOCK_MONOTONIC minus the run queue clock, refreshed whenever the run queue clock
 * enters a new 2^24 ns (~17 ms) epoch: records get monotonic time stamps for one clock read per
 * epoch instead of one per switch (bpf_ktime_get_ns costs ~90 ns under kvm-clock). The two clocks
 * drift apart by parts per million; each refresh is off by the time since the scheduler read its
 * clock (under a microsecond), so durations come from the run queue clock alone. */
__s64 clock_off = 0;
__u64 clock_epoch = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SCHED_RB_SIZE);
} events SEC(".maps");

/* woke: 1 once a switch record has forced the reader's early wakeup (the ring more than half
 * full); user space clears it after each drain. One wakeup per drain, not one per record: when the
 * reader falls behind (its CPU busy), a wakeup forced by every record past the half mark cost the
 * traced switches more than the program itself (irq_work and a cross-CPU wakeup each). The reader's
 * poll is level-triggered, so the one wakeup is not lost while it is busy. */
__u32 woke = 0;

/* stream_flags: the submit flags of a switch record (see woke and rb_flags). */
static __always_inline __u64 stream_flags(void)
{
	if (woke || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) <= SCHED_RB_SIZE / 2)
		return BPF_RB_NO_WAKEUP;
	woke = 1;
	return BPF_RB_FORCE_WAKEUP;
}

/* task_live: each traced thread's statistics in summary mode (tp_btf), in the thread's own task
 * storage: reached from the task pointers the tracepoint gives (a pointer load and a cache check),
 * where a hash keyed by tid cost two hash lookups per switch (bpf_stats: 196 -> 154 ns per run).
 * The kernel frees it with the task; at a thread's last switch (into TASK_DEAD) its statistics go
 * to user space through `events` first. User space reads the live threads' storage with the task
 * iterator live_iter below. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ts_sched_live);
} task_live SEC(".maps");

/* live: the same statistics keyed by tid, for the raw_tp/ programs (their task pointers are not
 * trusted, which task storage needs) and, under tp_btf, for a thread while the kernel cannot make
 * its task storage (live_of). At a thread's last switch its entry is deleted, so the map holds live
 * threads only and a reused tid starts afresh. A preallocated hash (user space sizes it): its
 * updates cannot fail but for want of room. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ts_sched_live);
} live SEC(".maps");

struct ts_sched_live zero_live = {};

/* hot: a thread's statistics in tp_btf summary mode, in the slot its kernel stack hashes to when
 * that slot was free at its first switch seen (else in its task storage, as before). Found with
 * an array lookup the verifier inlines and two compares, where bpf_task_storage_get() is a helper
 * call that takes a per-CPU lock and pins the CPU (bpf_stats: ~20 ns a switch of the summary's
 * ~45). A slot belongs to the task whose stack and start_time it holds (see ts_sched_hot); its last
 * switch frees it. User space loads hot_mask + 1 slots, and one when they are not used (stream
 * mode, raw_tp). */
const volatile __u32 hot_mask = TS_HOT_SLOTS - 1;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TS_HOT_SLOTS);
	__type(key, __u32);
	__type(value, struct ts_sched_hot);
} hot SEC(".maps");

/* iter_buf: live_iter's copy of a thread's statistics with its stint in progress added. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_sched_stats);
} iter_buf SEC(".maps");

/* TREAD reads a task field: directly under tp_btf (a trusted pointer), with CO-RE under raw_tp. */
#define TREAD(t, field) (use_raw_tp ? BPF_CORE_READ(t, field) : (t)->field)

#define L4(n) n, n, n, n
#define L16(n) L4(n), L4(n), L4(n), L4(n)
/* log2_byte[b] is floor(log2(b)) for a byte b > 0 (and 0 for 0). */
static const __u8 log2_byte[256] = {0, 0, 1, 1, L4(2), L4(3), L4(3), L16(4), L16(5), L16(5), L16(6), L16(6), L16(6),
				    L16(6), L16(7), L16(7), L16(7), L16(7), L16(7), L16(7), L16(7), L16(7)};

/* log2_slot() is v's histogram slot, floor(log2(v)) (0 for 0 and 1) capped at the last slot: three
 * halvings find v's top byte, a table gives the rest (six halvings cost 4 ns more a switch, bpf_stats). */
static __always_inline __u64 log2_slot(__u64 v)
{
	__u64 r = 0;
	if (v >> 32) {
		v >>= 32;
		r = 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	barrier_var(v); /* keeps the mask, which the verifier needs to bound the index */
	r += log2_byte[v & 0xff];
	return r < TS_HIST_SLOTS ? r : TS_HIST_SLOTS - 1;
}

/* rq_clock() is the clock of t's run queue (this CPU's, for prev and next of a switch), which the
 * scheduler has just brought up to date and stamps sched_info with. The run queue is reached from
 * the task (the per-CPU `runqueues` is not in kallsyms without CONFIG_KALLSYMS_ALL): through
 * cfs_rq->rq with group scheduling, else cfs_rq is embedded in struct rq. */
static __always_inline __u64 rq_clock(struct task_struct *t)
{
	struct cfs_rq *cfs = TREAD(t, se.cfs_rq);
	if (bpf_core_field_exists(cfs->rq))
		return use_raw_tp ? BPF_CORE_READ(cfs, rq, clock) : cfs->rq->clock;
	struct rq *rq = (void *)cfs - bpf_core_field_offset(struct rq, cfs);
	return TREAD(rq, clock);
}

/* btf_rq_clock() is rq_clock() for a trusted task pointer (tp_btf): no use_raw_tp test per read. */
static __always_inline __u64 btf_rq_clock(struct task_struct *t)
{
	struct cfs_rq *cfs = t->se.cfs_rq;
	if (bpf_core_field_exists(cfs->rq))
		return cfs->rq->clock;
	return ((struct rq *)((void *)cfs - bpf_core_field_offset(struct rq, cfs)))->clock;
}

static __always_inline __u64 mono_ns(__u64 rq_now)
{
	if (rq_now >> 24 != clock_epoch) {
		clock_epoch = rq_now >> 24;
		clock_off = (__s64)(bpf_ktime_get_ns() - rq_now);
	}
	return rq_now + clock_off;
}

/* since() is now - then, 0 when the clocks of two CPUs disagree by a hair (then a little after
 * now: the difference is negative). Without a branch: the compare and select clang makes of
 * `now > then ? now - then : 0` is seven instructions. */
static __always_inline __u64 since(__u64 now, __u64 then)
{
	__s64 d = (__s64)(now - then);
	return d & ~(d >> 63);
}

static __always_inline bool wanted(__u32 tgid, __u32 tid, struct task_struct *t)
{
	if (pidns_ino && !tid)
		return false; /* not in the reader's pid namespace (or the idle task) */
	if (targ_tgid && tgid != targ_tgid)
		return false;
	if (targ_tid && tid != targ_tid)
		return false;
	if (filter_comm) {
		char comm[TS_COMM_LEN];
		bpf_probe_read_kernel_str(comm, sizeof(comm), t->comm);
		if (!comm_matches(comm))
			return false;
	}
	return true;
}

/* copy_comm: direct loads from a trusted task pointer are cheaper than a probe read. */
static __always_inline void copy_comm(char *dst, struct task_struct *t)
{
	if (use_raw_tp) {
		bpf_probe_read_kernel(dst, TS_COMM_LEN, t->comm);
		return;
	}
	__u64 *d = (__u64 *)dst;
	d[0] = *(__u64 *)&t->comm[0];
	d[1] = *(__u64 *)&t->comm[8];
}

/* hash_live() is thread tid's statistics in `live`, made on first use; NULL (counted) when it is full. */
static __always_inline struct ts_sched_live *hash_live(__u32 tid, __u32 pid)
{
	struct ts_sched_live *v = bpf_map_lookup_elem(&live, &tid);
	if (v)
		return v;
	bpf_map_update_elem(&live, &tid, &zero_live, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&live, &tid);
	if (!v) {
		__sync_fetch_and_add(&map_full, 1);
		return NULL;
	}
	v->s.pid = pid;
	v->s.tid = tid;
	return v;
}

/* hot_slot() is the slot of `hot` that thread t would have (NULL when `hot` is shrunk): a
 * multiplicative hash of its kernel stack's address. */
static __always_inline struct ts_sched_hot *hot_slot(struct task_struct *t)
{
	__u32 idx = (((__u64)t->stack * 0x9E3779B97F4A7C15ull) >> 52) & hot_mask;
	return bpf_map_lookup_elem(&hot, &idx);
}

/* hot_owns() tells whether slot h holds thread t's statistics. */
static __always_inline bool hot_owns(const struct ts_sched_hot *h, struct task_struct *t)
{
	return h && h->stack == (__u64)t->stack && t->start_time <= h->start;
}

/* live_of() is thread t's statistics, made on its first switch. Under tp_btf they live in its task
 * storage; when the kernel cannot make that (seen a few times a second on a busy machine: its
 * allocator's per-CPU cache runs dry in a burst of new tasks, or another task storage user on this
 * CPU is preempted mid-operation) they go to `live` meanwhile, and move into the task storage once
 * it can be made, so that no switch goes uncounted and each thread's statistics stay in one place. */
static __always_inline struct ts_sched_live *live_of(struct task_struct *t, __u32 tid, __u32 pid)
{
	if (use_raw_tp)
		return hash_live(tid, pid);
	struct ts_sched_live *v = bpf_task_storage_get(&task_live, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!v)
		return hash_live(tid, pid);
	if (v->s.tid)
		return v;
	struct ts_sched_live *h = bpf_map_lookup_elem(&live, &tid);
	if (h) {
		bpf_probe_read_kernel(v, sizeof(*v), h);
		bpf_map_delete_elem(&live, &tid);
	}
	v->s.pid = pid;
	v->s.tid = tid;
	return v;
}

/* summary_of() is thread t's statistics under tp_btf, made on its first switch: in its slot of
 * `hot` when it owns it (the common case: one inlined lookup), else in its task storage or `live`
 * (live_of). A thread seen for the first time takes its slot if it is free, once: a thread that
 * has task storage or a `live` entry keeps its statistics there. */
static __always_inline struct ts_sched_live *summary_of(struct task_struct *t, __u32 tid, __u32 pid)
{
	struct ts_sched_hot *h = hot_slot(t);
	if (hot_owns(h, t))
		return &h->v;
	struct ts_sched_live *v = bpf_task_storage_get(&task_live, t, 0, 0);
	if (v)
		return v;
	if (h && !h->stack && !bpf_map_lookup_elem(&live, &tid) &&
	    __sync_val_compare_and_swap(&h->stack, 0, (__u64)t->stack) == 0) {
		bpf_probe_read_kernel(&h->v, sizeof(h->v), &zero_live);
		h->v.s.pid = pid;
		h->v.s.tid = tid;
		h->start = t->start_time; /* last: live_iter trusts the slot from here on */
		return &h->v;
	}
	return live_of(t, tid, pid);
}

/* stint_arrived: the off-CPU time and run-queue wait (log2 slots) before the stint on a CPU that
 * thread t began at its last arrival, from what v kept at t's switch out before it; false when
 * there is none: no switch out kept, or not exactly one arrival since (a switch the program missed,
 * or an arrival the scheduler did not stamp). The scheduler stamps an arrival after this tracepoint
 * has fired for it (sched_info_arrive(), from context_switch()), so from the stint's own switch out
 * on (or while it runs) the stamps are there: last_arrival, the run queue clock at the switch in;
 * run_delay, grown by the wait from the first enqueue (across migrations) to that arrival; pcount,
 * one more. tp_btf only (t trusted). */
static __always_inline bool stint_arrived(const struct ts_sched_live *v, struct task_struct *t, __u32 *off_slot,
					  __u32 *runq_slot)
{
	if (!v->off_ts || t->sched_info.pcount != v->pcount + 1)
		return false;
	*off_slot = log2_slot(since(t->sched_info.last_arrival, v->off_ts));
	*runq_slot = log2_slot(since(t->sched_info.run_delay, v->run_delay));
	return true;
}

/* count_switch: a switch out of the thread whose counters are now nv and niv (raw_tp). Which
 * counter the scheduler raised is read back from the task (it counts before this tracepoint): the
 * tracepoint's prev_state alone misses a block cancelled by a pending signal. Counted per switch,
 * as the on-CPU time is, not read from the task when the summary is read: there, a thread caught
 * between the kernel's count and this program showed one switch more than its on-CPU times. */
/* counted: v counts one switch out, voluntary or not, after which prev's nvcsw is nv. */
static __always_inline void counted(struct ts_sched_live *v, bool voluntary, __u64 nv)
{
	if (voluntary)
		v->s.voluntary++;
	else
		v->s.involuntary++;
	v->nvcsw = nv;
}

static __always_inline void count_switch(struct ts_sched_live *v, __u64 nv, __u64 niv, bool guess_voluntary)
{
	bool voluntary = guess_voluntary;
	if (v->off_ts && (nv - v->nvcsw) + (niv - v->nivcsw) == 1)
		voluntary = nv != v->nvcsw;
	counted(v, voluntary, nv);
	v->nivcsw = niv;
}

/* switched_out: prev leaves the CPU at `now` after running since its last arrival (raw_tp summary
 * mode; tp_btf has stint_out). */
static __always_inline void switched_out(struct ts_sched_live *v, struct task_struct *prev, __u64 now,
					 bool guess_voluntary)
{
	count_switch(v, TREAD(prev, nvcsw), TREAD(prev, nivcsw), guess_voluntary);
	v->s.oncpu[log2_slot(since(now, TREAD(prev, sched_info.last_arrival)))]++;
	v->off_ts = now;
	copy_comm(v->s.comm, prev);
}

/* stint_out: prev leaves the CPU (tp_btf summary mode): the on-CPU time of the stint that ends,
 * and the off-CPU time and run-queue wait before it (stint_arrived). Which counter the switch
 * raised (see count_switch) needs nvcsw alone here: when exactly one arrival came since the last
 * switch out seen, this is the one switch out since. prev's comm is not copied here: it is read
 * from the task when the statistics are (live_iter, retire), which takes two loads and two stores
 * off every switch and names a renamed thread as it is named now. */
static __always_inline void stint_out(struct ts_sched_live *v, struct task_struct *prev, bool guess_voluntary)
{
	__u64 arrival = prev->sched_info.last_arrival;
	__u64 nv = prev->nvcsw;
	__u32 off, runq;
	bool voluntary = guess_voluntary;
	if (stint_arrived(v, prev, &off, &runq)) {
		v->s.offcpu[off]++;
		v->s.runq[runq]++;
		/* one arrival since the last switch out seen: this is the one switch out since */
		voluntary = nv != v->nvcsw;
	}
	counted(v, voluntary, nv);
	__u64 now = btf_rq_clock(prev);
	v->s.oncpu[log2_slot(since(now, arrival))]++;
	v->off_ts = now;
	v->pcount = prev->sched_info.pcount;
	v->run_delay = prev->sched_info.run_delay;
}

/* send_retired: a thread's final statistics go to user space (lost, and counted, if the ring is full). */
static __always_inline void send_retired(struct ts_sched_live *v)
{
	if (bpf_ringbuf_output(&events, &v->s, sizeof(v->s), rb_flags(&events, SUMMARY_RB_SIZE)))
		count_lost();
	v->retired = 1;
}

/* retire: prev's last switch; its statistics go to user space and leave the live set (`retired`
 * hides them from live_iter should the task storage delete fail). */
static __always_inline void retire(struct task_struct *prev, __u32 tid)
{
	if (!use_raw_tp) {
		struct ts_sched_hot *hs = hot_slot(prev);
		if (hot_owns(hs, prev)) {
			copy_comm(hs->v.s.comm, prev);
			send_retired(&hs->v);
			hs->start = 0; /* first: live_iter stops trusting the slot */
			hs->stack = 0;
			return;
		}
		struct ts_sched_live *v = bpf_task_storage_get(&task_live, prev, 0, 0);
		if (v && !v->retired) {
			copy_comm(v->s.comm, prev);
			send_retired(v);
			bpf_task_storage_delete(&task_live, prev);
		}
	}
	struct ts_sched_live *h = bpf_map_lookup_elem(&live, &tid);
	if (h) {
		if (!use_raw_tp)
			copy_comm(h->s.comm, prev);
		send_retired(h);
		bpf_map_delete_elem(&live, &tid);
	}
}

/* summarise: a switch in summary mode under raw_tp, where task storage is out of reach: prev's
 * statistics and next's (its off-CPU time and run-queue wait, from its last_queued), two lookups. */
static __always_inline int summarise(__u64 now, bool guess_voluntary, struct task_struct *prev, __u32 prev_pid,
				     __u32 prev_tid, bool want_prev, unsigned int prev_state, struct task_struct *next,
				     __u32 next_pid, __u32 next_tid, bool want_next)
{
	if (want_prev && prev_tid) {
		struct ts_sched_live *p = live_of(prev, prev_tid, prev_pid);
		if (p)
			switched_out(p, prev, now, guess_voluntary);
	}
	if (prev_state & TS_TASK_DEAD)
		retire(prev, prev_tid);
	if (want_next && next_tid) {
		struct ts_sched_live *n = live_of(next, next_tid, next_pid);
		if (n) {
			if (n->off_ts)
				n->s.offcpu[log2_slot(since(now, n->off_ts))]++;
			__u64 queued = TREAD(next, sched_info.last_queued);
			if (queued)
				n->s.runq[log2_slot(since(now, queued))]++;
		}
	}
	return 0;
}

/* summarise_out: a switch in summary mode under tp_btf: prev's statistics alone, in its task
 * storage (next's switch in is counted at its own switch out, see stint_arrived). The run queue is
 * prev's as much as next's. */
static __always_inline int summarise_out(bool preempt, struct task_struct *prev, unsigned int prev_state)
{
	__u32 pid, tid;
	if (pidns_ino) {
		pid = task_tgid_ns(prev);
		tid = pid ? task_tid_ns(prev) : 0;
	} else {
		pid = prev->tgid;
		tid = prev->pid;
	}
	if (tid && wanted(pid, tid, prev)) {
		struct ts_sched_live *v = summary_of(prev, tid, pid);
		if (v)
			stint_out(v, prev, !preempt && prev_state);
	}
	if (prev_state & TS_TASK_DEAD)
		retire(prev, tid);
	return 0;
}

static __always_inline int on_switch(bool preempt, struct task_struct *prev, struct task_struct *next,
				     unsigned int prev_state)
{
	if (summary_mode && !use_raw_tp)
		return summarise_out(preempt, prev, prev_state);
	__u32 prev_pid, prev_tid, next_pid, next_tid;
	if (pidns_ino) {
		/* Numbered in the reader's namespace; a task outside it is 0, as the idle task. */
		prev_pid = task_tgid_ns(prev);
		prev_tid = prev_pid ? task_tid_ns(prev) : 0;
		next_pid = task_tgid_ns(next);
		next_tid = next_pid ? task_tid_ns(next) : 0;
	} else if (!use_raw_tp) {
		/* loads from the trusted pointer: cheaper than a helper call */
		prev_pid = prev->tgid;
		prev_tid = prev->pid;
		next_pid = next->tgid;
		next_tid = next->pid;
	} else {
		__u64 id = bpf_get_current_pid_tgid();
		prev_pid = id >> 32;
		prev_tid = (__u32)id;
		next_pid = TREAD(next, tgid);
		next_tid = TREAD(next, pid);
	}
	bool want_prev = wanted(prev_pid, prev_tid, prev);
	bool want_next = wanted(next_pid, next_tid, next);
	if (!want_prev && !want_next && !(summary_mode && (prev_state & TS_TASK_DEAD)))
		return 0;
	__u64 now = rq_clock(next);
	if (summary_mode)
		return summarise(now, !preempt && prev_state, prev, prev_pid, prev_tid, want_prev, prev_state, next,
				 next_pid, next_tid, want_next);

	struct ts_switch_rec *e = reserve_rec(&events, sizeof(*e), TS_REC_SWITCH, mono_ns(now));
	if (!e)
		return 0;
	e->prev_pid = prev_pid;
	e->prev_tid = prev_tid;
	e->next_pid = next_pid;
	e->next_tid = next_tid;
	e->prev_state = prev_state;
	e->flags = preempt ? TS_SWITCH_PREEMPT : 0;
	e->prev_nvcsw = TREAD(prev, nvcsw);
	e->prev_nivcsw = TREAD(prev, nivcsw);
	e->rq_ns = now;
	e->prev_oncpu_ns = prev_tid ? since(now, TREAD(prev, sched_info.last_arrival)) : 0;
	copy_comm(e->prev_comm, prev);
	copy_comm(e->next_comm, next);
	/* A task outside the reader's namespace is not shown, not even by name. */
	if (pidns_ino && !prev_tid)
		__builtin_memset(e->prev_comm, 0, sizeof(e->prev_comm));
	if (pidns_ino && !next_tid)
		__builtin_memset(e->next_comm, 0, sizeof(e->next_comm));
	bpf_ringbuf_submit(e, stream_flags());
	return 0;
}

TS_HOOK(switch, sched_switch, on_switch(preempt, prev, next, prev_state), bool preempt, struct task_struct *prev,
	struct task_struct *next, unsigned int prev_state)

/* live_iter writes the statistics of every live thread (tp_btf summary mode: in its task storage,
 * or in `live` while it has none), one struct ts_sched_stats each, for SchedTracer::summary(). A
 * thread's stint in progress (switched in since its last switch out) is added to what it writes,
 * as its switch out would add it: the off-CPU time and run-queue wait before it. */
SEC("iter/task")
int btf_live_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	if (!t)
		return 0;
	struct ts_sched_hot *h = hot_slot(t);
	struct ts_sched_live *v = hot_owns(h, t) ? &h->v : bpf_task_storage_get(&task_live, t, 0, 0);
	if (!v) {
		__u32 tid = pidns_ino ? task_tid_ns(t) : t->pid;
		if (!tid)
			return 0;
		v = bpf_map_lookup_elem(&live, &tid);
	}
	if (!v || !v->s.tid || v->retired)
		return 0;
	__u32 off, runq, zero = 0;
	struct ts_sched_stats *s = bpf_map_lookup_elem(&iter_buf, &zero);
	if (!s)
		return 0;
	bpf_probe_read_kernel(s, sizeof(*s), &v->s);
	copy_comm(s->comm, t);
	if (stint_arrived(v, t, &off, &runq)) {
		s->offcpu[off]++;
		s->runq[runq]++;
	}
	bpf_seq_write(ctx->meta->seq, s, sizeof(*s));
	return 0;
}
