/* trace_sched.bpf.c: context switches for `taskscope trace sched`, streamed (one record per switch)
 * or summarised in maps (summary_mode). tp_btf/ programs are preferred; raw_tp/ copies are the
 * fallback, keeping per-task timestamps in a hash instead of task storage. */
#include "trace_common.bpf.h"
#include "trace_sched.h"

char LICENSE[] SEC("license") = "GPL";

#define SCHED_RB_SIZE (16 << 20)

const volatile __u8 summary_mode = 0;

/* map_full counts threads the summary map had no room for. */
__u64 map_full = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SCHED_RB_SIZE);
} events SEC(".maps");

/* task_times: when a task was last switched in, switched out and woken (ns; 0 = unknown). */
struct task_times {
	__u64 on_ts;
	__u64 off_ts;
	__u64 wake_ts;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_times);
} task_ts SEC(".maps");

/* task_sum: in summary mode (tp_btf), a task's times and its statistics together, so a switch
 * costs two task-local lookups and no hash lookup. Copied to `stats` when the task exits; live
 * tasks are read at the end by the iter_dump_sum iterator. */
struct task_sum {
	struct task_times t;
	struct ts_sched_stats s;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_sum);
} task_sum SEC(".maps");

/* task_ts_raw replaces task_ts for the raw_tp fallback, keyed by tid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* resized by user space when the fallback is used */
	__type(key, __u32);
	__type(value, struct task_times);
} task_ts_raw SEC(".maps");

/* idle_ts: the idle task (pid 0) of each CPU, keyed by cpu. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct task_times);
} idle_ts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct ts_sched_stats);
} stats SEC(".maps");

struct ts_sched_stats zero_stats = {};

/* TREAD reads a task field: directly under tp_btf (a trusted pointer), with CO-RE under raw_tp. */
#define TREAD(t, field) (use_raw_tp ? BPF_CORE_READ(t, field) : (t)->field)

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 r = 0, shift;
	shift = (v > 0xFFFFFFFF) << 5; v >>= shift; r = shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r < TS_HIST_SLOTS ? r : TS_HIST_SLOTS - 1;
}

static __always_inline bool wanted(__u32 tgid, __u32 tid, struct task_struct *t)
{
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

static __always_inline struct task_times *times_of(struct task_struct *t, __u32 tid, bool create)
{
	if (tid == 0) {
		__u32 zero = 0;
		return bpf_map_lookup_elem(&idle_ts, &zero);
	}
	if (use_raw_tp) {
		struct task_times *v = bpf_map_lookup_elem(&task_ts_raw, &tid);
		if (!v && create) {
			struct task_times z = {};
			bpf_map_update_elem(&task_ts_raw, &tid, &z, BPF_NOEXIST);
			v = bpf_map_lookup_elem(&task_ts_raw, &tid);
		}
		return v;
	}
	return bpf_task_storage_get(&task_ts, t, 0, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
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

static __always_inline struct ts_sched_stats *stats_of(__u32 tid, __u32 pid, struct task_struct *t)
{
	struct ts_sched_stats *s = bpf_map_lookup_elem(&stats, &tid);
	if (s)
		return s;
	if (bpf_map_update_elem(&stats, &tid, &zero_stats, BPF_NOEXIST) && !bpf_map_lookup_elem(&stats, &tid)) {
		__sync_fetch_and_add(&map_full, 1);
		return NULL;
	}
	s = bpf_map_lookup_elem(&stats, &tid);
	if (s) {
		s->pid = pid;
		copy_comm(s->comm, t);
	}
	return s;
}

static __always_inline struct task_sum *sum_of(struct task_struct *t, __u32 pid)
{
	struct task_sum *v = bpf_task_storage_get(&task_sum, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!v) {
		__sync_fetch_and_add(&map_full, 1);
		return NULL;
	}
	if (!v->s.pid) {
		v->s.pid = pid;
		copy_comm(v->s.comm, t);
	}
	return v;
}

/* switch_local: summary mode with task storage (tp_btf only). */
static __always_inline int switch_local(__u64 now, bool voluntary, struct task_struct *prev, __u32 prev_pid,
					bool want_prev, struct task_struct *next, __u32 next_pid, bool want_next)
{
	if (want_prev && prev->pid) {
		struct task_sum *p = sum_of(prev, prev_pid);
		if (p) {
			if (voluntary)
				p->s.voluntary++;
			else
				p->s.involuntary++;
			if (p->t.on_ts)
				p->s.oncpu[log2_slot(now - p->t.on_ts)]++;
			p->t.off_ts = now;
			/* involuntary: still runnable, so its run-queue wait starts now */
			p->t.wake_ts = voluntary ? 0 : now;
		}
	}
	if (want_next && next->pid) {
		struct task_sum *n = sum_of(next, next_pid);
		if (n) {
			if (n->t.off_ts)
				n->s.offcpu[log2_slot(now - n->t.off_ts)]++;
			if (n->t.wake_ts)
				n->s.runq[log2_slot(now - n->t.wake_ts)]++;
			n->t.wake_ts = 0;
			n->t.on_ts = now;
		}
	}
	return 0;
}

static __always_inline int on_switch(bool preempt, struct task_struct *prev, struct task_struct *next,
				     unsigned int prev_state)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 prev_pid = id >> 32, prev_tid = (__u32)id;
	__u32 next_pid = TREAD(next, tgid), next_tid = TREAD(next, pid);
	bool want_prev = wanted(prev_pid, prev_tid, prev);
	bool want_next = wanted(next_pid, next_tid, next);
	if (!want_prev && !want_next)
		return 0;
	bool voluntary = !preempt && prev_state != 0;
	if (summary_mode && !use_raw_tp)
		return switch_local(now, voluntary, prev, prev_pid, want_prev, next, next_pid, want_next);
	__u64 oncpu = 0, offcpu = 0, runq = 0;

	if (want_prev) {
		struct task_times *pt = times_of(prev, prev_tid, true);
		if (pt) {
			if (pt->on_ts)
				oncpu = now - pt->on_ts;
			pt->off_ts = now;
			/* involuntary: still runnable, so its run-queue wait starts now */
			pt->wake_ts = voluntary ? 0 : now;
		}
	}
	if (want_next) {
		struct task_times *nt = times_of(next, next_tid, true);
		if (nt) {
			if (nt->off_ts)
				offcpu = now - nt->off_ts;
			if (nt->wake_ts)
				runq = now - nt->wake_ts;
			nt->wake_ts = 0;
			nt->on_ts = now;
		}
	}

	if (summary_mode) {
		if (want_prev && prev_tid) {
			struct ts_sched_stats *s = stats_of(prev_tid, prev_pid, prev);
			if (s) {
				if (voluntary)
					s->voluntary++;
				else
					s->involuntary++;
				if (oncpu)
					s->oncpu[log2_slot(oncpu)]++;
			}
		}
		if (want_next && next_tid && (offcpu || runq)) {
			struct ts_sched_stats *s = stats_of(next_tid, next_pid, next);
			if (s) {
				if (offcpu)
					s->offcpu[log2_slot(offcpu)]++;
				if (runq)
					s->runq[log2_slot(runq)]++;
			}
		}
		return 0;
	}

	struct ts_switch_rec *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	e->hdr.kind = TS_REC_SWITCH;
	e->hdr.cpu = bpf_get_smp_processor_id();
	e->hdr.ts_ns = now;
	e->prev_pid = prev_pid;
	e->prev_tid = prev_tid;
	e->next_pid = next_pid;
	e->next_tid = next_tid;
	e->prev_state = prev_state;
	e->flags = (voluntary ? TS_SWITCH_VOLUNTARY : 0) | (preempt ? TS_SWITCH_PREEMPT : 0);
	e->prev_oncpu_ns = oncpu;
	e->next_offcpu_ns = offcpu;
	copy_comm(e->prev_comm, prev);
	copy_comm(e->next_comm, next);
	bpf_ringbuf_submit(e, rb_flags(&events, SCHED_RB_SIZE));
	return 0;
}

static __always_inline int on_wakeup(struct task_struct *p)
{
	__u32 tgid = TREAD(p, tgid), tid = TREAD(p, pid);
	if (!tid || !wanted(tgid, tid, p))
		return 0;
	if (summary_mode && !use_raw_tp) {
		struct task_sum *v = sum_of(p, tgid);
		if (v)
			v->t.wake_ts = bpf_ktime_get_ns();
		return 0;
	}
	struct task_times *t = times_of(p, tid, true);
	if (t)
		t->wake_ts = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch, bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
{
	return on_switch(preempt, prev, next, prev_state);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(raw_switch, bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
{
	return on_switch(preempt, prev, next, prev_state);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(btf_wakeup, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(raw_wakeup, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(btf_wakeup_new, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(raw_wakeup_new, struct task_struct *p)
{
	return on_wakeup(p);
}

/* A task's statistics outlive it in `stats` (summary mode, tp_btf). Its very last switch, into
 * death, comes after this and is not counted. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(btf_sum_exit, struct task_struct *p)
{
	struct task_sum *v = bpf_task_storage_get(&task_sum, p, 0, 0);
	if (!v || !(v->s.voluntary || v->s.involuntary))
		return 0;
	__u32 tid = p->pid;
	if (bpf_map_update_elem(&stats, &tid, &v->s, BPF_ANY))
		__sync_fetch_and_add(&map_full, 1);
	return 0;
}

/* iter_dump_sum writes each live task's statistics as {__u32 tid, __u32 pad, ts_sched_stats}. */
SEC("iter/task")
int iter_dump_sum(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	if (!task)
		return 0;
	struct task_sum *v = bpf_task_storage_get(&task_sum, task, 0, 0);
	if (!v || !(v->s.voluntary || v->s.involuntary))
		return 0;
	__u32 hdr[2] = {task->pid, 0};
	bpf_seq_write(seq, hdr, sizeof(hdr));
	bpf_seq_write(seq, &v->s, sizeof(v->s));
	return 0;
}
