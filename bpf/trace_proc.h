/* trace_proc.h: the records trace_proc.bpf.c writes to its ring buffer (clone, exec, exit).
 * Shared with lib/bpf/trace_proc.cpp: fixed-width types only. */
#ifndef TRACE_PROC_H
#define TRACE_PROC_H

#define TS_COMM_LEN 16
#define TS_FILENAME_LEN 256
#define TS_ARGS_LEN 512

enum ts_record_kind {
	TS_REC_CLONE = 1,
	TS_REC_EXEC = 2,
	TS_REC_EXIT = 3,
	TS_REC_SWITCH = 4,
};

/* ts_rec_hdr starts every record: its kind, the CPU and the time (monotonic ns since boot). */
struct ts_rec_hdr {
	__u32 kind;
	__u32 cpu;
	__u64 ts_ns;
};

/* ts_clone_rec: from task_newtask, in the parent. */
struct ts_clone_rec {
	struct ts_rec_hdr hdr;
	__u32 parent_pid, parent_tid;
	__u32 child_pid, child_tid;
	__u64 clone_flags;
	__s32 exit_signal; /* from the new task: legacy clone() strips CSIGNAL from the flags */
	__u32 child_pf_flags;
	char parent_comm[TS_COMM_LEN];
};

/* ts_exec_rec: from sched_process_exec, in the task that exec'd (with its new mm). */
struct ts_exec_rec {
	struct ts_rec_hdr hdr;
	__u32 pid, tid;
	__u32 old_tid; /* the tid that called execve; differs from tid when a non-leader thread exec'd */
	__u32 args_len; /* bytes of args[] that are valid */
	__u32 args_truncated;
	__u32 pad;
	char comm[TS_COMM_LEN];
	char filename[TS_FILENAME_LEN];
	char args[TS_ARGS_LEN]; /* argv strings, each NUL-terminated, from arg_start..arg_end */
};

/* ts_exit_rec: from sched_process_exit, in the exiting thread. */
struct ts_exit_rec {
	struct ts_rec_hdr hdr;
	__u32 pid, tid;
	__u32 exit_code; /* task->exit_code: status << 8, or signal | 0x80 (core) */
	__u32 group_dead; /* 1 when this was the last thread of its process */
	__u64 start_ns; /* task->start_time (monotonic ns since boot) */
	__u64 cpu_ns; /* se.sum_exec_runtime of this thread */
	char comm[TS_COMM_LEN];
};

#endif
