/* pidns.bpf.h: task ids as the reader's pid namespace numbers them, for task_iter.bpf.c and the
 * trace programs. The kernel's task->pid and task->tgid are the initial namespace's numbers; a
 * reader inside a container (a child pid namespace) knows its tasks by other numbers, and does not
 * see the tasks outside its namespace at all. The translation is the kernel's pid_nr_ns(): the
 * task's struct pid holds one (nr, ns) pair per namespace level, from the initial one down to the
 * task's own; the reader's number is the pair at the reader's level, if that pair's namespace is
 * the reader's. Included by one .bpf.c each. */
#ifndef PIDNS_BPF_H
#define PIDNS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

/* pidns_ino: the inode number of the reader's pid namespace (stat /proc/self/ns/pid), set before
 * load; 0 when the reader is in the initial namespace, where the kernel's own numbers are ours and
 * nothing is translated (the verifier then prunes all of this). */
const volatile __u32 pidns_ino = 0;

/* pidns_level: the reader's namespace level, learnt from the first task seen in it (-1 before):
 * the level of the pair whose namespace has inode pidns_ino. */
__s32 pidns_level = -1;

/* PIDNS_LEVEL_SET_FIRST: an includer that sets pidns_level itself before reading any id
 * (pidns_learn_level()) defines it to 1, and pid_nr_ns() then has no search for the verifier to
 * follow: inside the open-coded walk's loop, that search made too many paths. */
#ifndef PIDNS_LEVEL_SET_FIRST
#define PIDNS_LEVEL_SET_FIRST 0
#endif

/* PIDNS_MAX_LEVEL is the kernel's MAX_PID_NS_LEVEL: pid namespaces nest at most 32 deep. */
#define PIDNS_MAX_LEVEL 32

/* upid_at() reads the (nr, ns) pair at `level` of pid `p` (a kernel address, read as untrusted). */
static __always_inline int upid_at(struct pid *p, __u32 level, struct upid *up)
{
	unsigned long at = (unsigned long)p + bpf_core_field_offset(struct pid, numbers) +
			   (unsigned long)level * bpf_core_type_size(struct upid);
	return bpf_core_read(up, sizeof(*up), (void *)at);
}

/* ns_inum() is the inode number of pid namespace `ns` (0 when it cannot be read). */
static __always_inline __u32 ns_inum(struct pid_namespace *ns)
{
	return BPF_CORE_READ(ns, ns.inum);
}

/* pid_nr_ns() is pid `p`'s number in the reader's namespace; 0 when `p` is NULL (the task is being
 * reaped) or not visible there. Only for pidns_ino != 0. */
static __always_inline __u32 pid_nr_ns(struct pid *p)
{
	struct upid up = {};
	__u32 top;
	__s32 level = pidns_level;

	if (!p)
		return 0;
	top = BPF_CORE_READ(p, level);
	if (level < 0 && PIDNS_LEVEL_SET_FIRST)
		return 0;
	if (level < 0) {
		for (__u32 i = 0; i < PIDNS_MAX_LEVEL; i++) {
			if (i > top || upid_at(p, i, &up))
				return 0;
			if (ns_inum(up.ns) == pidns_ino) {
				pidns_level = i;
				return up.nr;
			}
		}
		return 0;
	}
	if ((__u32)level > top || upid_at(p, level, &up) || ns_inum(up.ns) != pidns_ino)
		return 0;
	return up.nr;
}

/* pidns_learn_level() sets pidns_level to the level of the running task's own pid namespace: the
 * reader's, when the reader runs the program (BPF_PROG_RUN). For PIDNS_LEVEL_SET_FIRST includers. */
static __always_inline void pidns_learn_level(struct task_struct *self)
{
	struct upid up = {};
	__u32 top = BPF_CORE_READ(self, thread_pid, level);

	if (pidns_ino && !upid_at(BPF_CORE_READ(self, thread_pid), top, &up) && ns_inum(up.ns) == pidns_ino)
		pidns_level = top;
}

/* task_tid_ns() is task `t`'s thread id as the reader sees it (0: not visible). */
static __always_inline __u32 task_tid_ns(struct task_struct *t)
{
	if (!pidns_ino)
		return BPF_CORE_READ(t, pid);
	return pid_nr_ns(BPF_CORE_READ(t, thread_pid));
}

/* task_tgid_ns() is the process id of task `t` as the reader sees it (0: not visible). The
 * group's pid lives in signal->pids[PIDTYPE_TGID] (Linux 4.19+; before, the leader's thread_pid). */
static __always_inline __u32 task_tgid_ns(struct task_struct *t)
{
	if (!pidns_ino)
		return BPF_CORE_READ(t, tgid);
	if (bpf_core_field_exists(t->signal->pids))
		return pid_nr_ns(BPF_CORE_READ(t, signal, pids[PIDTYPE_TGID]));
	return pid_nr_ns(BPF_CORE_READ(t, group_leader, thread_pid));
}

#endif
