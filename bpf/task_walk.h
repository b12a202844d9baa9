/* task_walk.h: what bpf/task_walk.bpf.c (the open-coded task walk) and lib/bpf/task_walk_reader
 * share: the run's arguments and results, the fixed record slots and the tail chunks (fixed-width
 * types only: it is read by C++ too). */
#ifndef TASKSCOPE_TASK_WALK_H
#define TASKSCOPE_TASK_WALK_H

#include "task_iter.h"

/* Bits of walk_args.want: what the request needs beyond the fields every record has. */
#define WALK_WANT_MM 0x1   /* mm layout and RSS (TASK_REC_HAVE_MM) */
#define WALK_WANT_ARGV 0x2 /* leaders' argv (TASK_REC_HAVE_ARGV), read in the second phase */

/* Bits of walk_args.status. */
#define WALK_RECS_FULL 0x1  /* more tasks than rec_cap slots: walk_args.count says how many */
#define WALK_TAILS_FULL 0x2 /* more tail bytes than tail_cap chunks: tails_used says how many */
#define WALK_NO_TASK 0x4    /* walk_args.tgid named no visible process: nothing was written */

/* WALK_CHUNK is a tail chunk's size: a kernel thread's name fits one, an argv takes as many
 * consecutive chunks as it needs (the chunks are contiguous in the mapped array). */
#define WALK_CHUNK 128

/* walk_args is the syscall program's context: set by user space before a run (the in part),
 * copied back after it (the out part). */
struct walk_args {
	/* in */
	__u32 want;       /* WALK_WANT_* */
	__u32 rec_cap;    /* slots in the records map */
	__u32 tail_cap;   /* chunks in the tails map */
	__s32 tgid;       /* 0: every task; else only this process (in the reader's pid namespace) */
	/* out */
	__u32 count;      /* tasks found (written when count <= rec_cap) */
	__u32 tails_used; /* chunks used (written when tails_used <= tail_cap) */
	__u32 status;     /* WALK_* bits */
	__u32 argv_read;  /* leaders whose argv the second phase read */
};

/* walk_rec is one slot of the records map: where its tail is, and a task_rec as task_iter.h
 * describes it (tail_len counts its tail's bytes). 320 bytes, five cache lines of the mapped
 * map: a thread's record touches the first three only (TASK_REC_COMMON). */
struct walk_rec {
	__u32 tail_at; /* the first chunk of its tail (argv or name) in the tails map */
	__s32 kpid;    /* the task's pid in the initial namespace (for the second phase) */
	struct task_rec r;
	__u64 spare;   /* to 320 bytes */
};

/* walk_chunk is one element of the tails map. */
struct walk_chunk {
	char b[WALK_CHUNK];
};

#endif
