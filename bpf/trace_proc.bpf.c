/* trace_proc.bpf.c: process lifecycle events for `taskscope trace clone|exec|exit`.
 * Each hook exists twice (TS_HOOK): tp_btf/ (preferred) and raw_tp/ (fallback for kernels where
 * tp_btf does not load); user space loads one set. Task fields are read with CO-RE in both. */
#include "trace_common.bpf.h"
#include "trace_proc.h"

char LICENSE[] SEC("license") = "GPL";

#define PROC_RB_SIZE (4 << 20)

/* emit_clone: 0 when task_newtask is attached only to follow the target's children. */
const volatile __u8 emit_clone = 1;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PROC_RB_SIZE);
} events SEC(".maps");

/* followed holds the processes created by the target (targ_tgid) while tracing, so `-p PID`
 * also sees its children's exec and exit, as strace -f does. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} followed SEC(".maps");

/* cpu_time() is the exiting (current) task's CPU time: se.sum_exec_runtime is only brought up to
 * date at ticks and switches, so add what the run queue clock says it ran since it was last
 * accounted; a short-lived child would otherwise show 0. */
static __always_inline __u64 cpu_time(struct task_struct *task)
{
	__u64 sum = BPF_CORE_READ(task, se.sum_exec_runtime);
	/* the run queue is reachable from the task only with group scheduling (cfs_rq->rq) */
	struct cfs_rq *cfs = BPF_CORE_READ(task, se.cfs_rq);
	if (!bpf_core_field_exists(cfs->rq))
		return sum;
	__u64 now = BPF_CORE_READ(cfs, rq, clock_task), start = BPF_CORE_READ(task, se.exec_start);
	return now > start ? sum + (now - start) : sum;
}

static __always_inline bool tgid_wanted(__u32 tgid)
{
	if (!targ_tgid || tgid == targ_tgid)
		return true;
	return bpf_map_lookup_elem(&followed, &tgid) != NULL;
}

static __always_inline bool task_wanted(__u32 tgid, __u32 tid, const char *comm)
{
	if (!tid)
		return false; /* not in the reader's pid namespace */
	if (targ_tid && tid != targ_tid)
		return false;
	if (!tgid_wanted(tgid))
		return false;
	if (filter_comm && !comm_matches(comm))
		return false;
	return true;
}

/* reserve() reserves a record of type T for this hook (NULL, counted, when the ring is full). */
#define reserve(T, kind) ((T *)reserve_rec(&events, sizeof(T), kind, bpf_ktime_get_ns()))

static __always_inline int on_newtask(struct task_struct *child, __u64 clone_flags)
{
	__u32 tgid, tid;
	char comm[TS_COMM_LEN];
	current_ids(&tgid, &tid, comm);
	if (!task_wanted(tgid, tid, comm))
		return 0;

	__u32 child_pid = pidns_ino ? task_tgid_ns(child) : BPF_CORE_READ(child, tgid);
	if (targ_tgid && child_pid && child_pid != tgid) {
		__u8 one = 1;
		bpf_map_update_elem(&followed, &child_pid, &one, BPF_ANY);
	}
	if (!emit_clone)
		return 0;
	struct ts_clone_rec *e = reserve(struct ts_clone_rec, TS_REC_CLONE);
	if (!e)
		return 0;
	e->parent_pid = tgid;
	e->parent_tid = tid;
	e->child_pid = child_pid;
	e->child_tid = pidns_ino ? task_tid_ns(child) : BPF_CORE_READ(child, pid);
	e->clone_flags = clone_flags;
	e->exit_signal = BPF_CORE_READ(child, exit_signal);
	e->child_pf_flags = BPF_CORE_READ(child, flags);
	__builtin_memcpy(e->parent_comm, comm, sizeof(comm));
	bpf_ringbuf_submit(e, rb_flags(&events, PROC_RB_SIZE));
	return 0;
}

static __always_inline int on_exec(struct task_struct *task, __u32 old_tid, struct linux_binprm *bprm)
{
	__u32 tgid, tid;
	char comm[TS_COMM_LEN];
	current_ids(&tgid, &tid, comm);
	if (!tid)
		return 0; /* not in the reader's pid namespace */
	if (pidns_ino) {
		/* old_tid is the kernel's number. The exec'ing thread took the leader's pid: if it was
		 * the leader, its old tid is its tid; a non-leader's old struct pid is already released,
		 * so its number in the reader's namespace is unknown (0). */
		old_tid = old_tid == BPF_CORE_READ(task, pid) ? tid : 0;
	}
	if (targ_tid && tid != targ_tid && old_tid != targ_tid)
		return 0;
	if (!tgid_wanted(tgid))
		return 0;
	if (filter_comm && !comm_matches(comm))
		return 0;

	struct ts_exec_rec *e = reserve(struct ts_exec_rec, TS_REC_EXEC);
	if (!e)
		return 0;
	e->pid = tgid;
	e->tid = tid;
	e->old_tid = old_tid;
	e->pad = 0;
	__builtin_memcpy(e->comm, comm, sizeof(comm));
	const char *fname = BPF_CORE_READ(bprm, filename);
	if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), fname) < 0)
		e->filename[0] = 0;

	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__u64 start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end);
	__u64 len = end > start ? end - start : 0;
	e->args_truncated = len > TS_ARGS_LEN;
	if (len > TS_ARGS_LEN)
		len = TS_ARGS_LEN;
	if (bpf_probe_read_user(e->args, len, (const void *)start) < 0)
		len = 0;
	e->args_len = len;
	bpf_ringbuf_submit(e, rb_flags(&events, PROC_RB_SIZE));
	return 0;
}

static __always_inline int on_exit(struct task_struct *task)
{
	__u32 tgid, tid;
	char comm[TS_COMM_LEN];
	current_ids(&tgid, &tid, comm);
	if (!task_wanted(tgid, tid, comm))
		return 0;

	/* signal->live was decremented before this tracepoint: 0 means the group is dead. */
	__u32 group_dead = BPF_CORE_READ(task, signal, live.counter) == 0;
	if (group_dead && targ_tgid && tgid != targ_tgid)
		bpf_map_delete_elem(&followed, &tgid);
	struct ts_exit_rec *e = reserve(struct ts_exit_rec, TS_REC_EXIT);
	if (!e)
		return 0;
	e->pid = tgid;
	e->tid = tid;
	e->exit_code = BPF_CORE_READ(task, exit_code);
	e->group_dead = group_dead;
	e->start_ns = BPF_CORE_READ(task, start_time);
	e->cpu_ns = cpu_time(task);
	__builtin_memcpy(e->comm, comm, sizeof(comm));
	bpf_ringbuf_submit(e, rb_flags(&events, PROC_RB_SIZE));
	return 0;
}

TS_HOOK(newtask, task_newtask, on_newtask(task, clone_flags), struct task_struct *task, __u64 clone_flags)
TS_HOOK(exec, sched_process_exec, on_exec(p, old_pid, bprm), struct task_struct *p, pid_t old_pid,
	struct linux_binprm *bprm)
TS_HOOK(exit, sched_process_exit, on_exit(p), struct task_struct *p)
