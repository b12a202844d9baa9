// SPDX-License-Identifier: GPL-2.0
/* task_walk_floor.bpf.c: for tests/bench/snapshot_bench only: the cost of walking every task with
 * the open-coded task iterator (bpf_iter_task_* kfuncs, Linux 6.7+), reading the few fields every
 * record needs, in one syscall program run, against the iter/task walk's. It decides whether an
 * open-coded snapshot could beat the kernel's iterator (issue 15). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task, unsigned int flags) __ksym __weak;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __ksym __weak;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __ksym __weak;
extern void bpf_rcu_read_lock(void) __ksym __weak;
extern void bpf_rcu_read_unlock(void) __ksym __weak;

#define ALL_THREADS BPF_TASK_ITER_ALL_THREADS

/* walked: tasks the last run saw; checksum: a sum of what it read (so nothing is optimized out). */
__u64 walked = 0;
__u64 checksum = 0;

SEC("syscall")
int walk_tasks(void *ctx)
{
	struct bpf_iter_task it;
	struct task_struct *t;
	__u64 n = 0, sum = 0;

	bpf_rcu_read_lock();
	bpf_iter_task_new(&it, NULL, ALL_THREADS);
	while ((t = bpf_iter_task_next(&it))) {
		sum += t->pid + t->nvcsw + t->se.sum_exec_runtime;
		n++; /* never compared: the verifier need not follow its values (the iterator ends the loop) */
	}
	bpf_iter_task_destroy(&it);
	bpf_rcu_read_unlock();
	walked = n;
	checksum = sum;
	return 0;
}
