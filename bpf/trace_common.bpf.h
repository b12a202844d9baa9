/* trace_common.bpf.h: what the trace programs share on the kernel side: the filter knobs, the
 * lost-event counter, record reservation with the adaptive ring buffer wakeup, and the macro that
 * defines each hook as a tp_btf/ program and its raw_tp/ fallback. Included by one .bpf.c each. */
#ifndef TRACE_COMMON_BPF_H
#define TRACE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "pidns.bpf.h"
#include "trace_proc.h"

#define TS_PF_KTHREAD 0x00200000

/* Filter knobs, set before load so the verifier prunes what is off. Ids are the reader's: its pid
 * namespace's numbers (pidns.bpf.h), which is how every id in a record is numbered too. */
const volatile __u32 targ_tgid = 0;  /* 0 = any process */
const volatile __u32 targ_tid = 0;   /* 0 = any thread */
const volatile __u8 filter_comm = 0; /* 1 = only tasks whose comm equals targ_comm */
const volatile char targ_comm[16] = {};
/* 1 = the raw_tp/ programs are loaded: task pointers are untrusted, read only with CO-RE. */
const volatile __u8 use_raw_tp = 0;

/* lost counts records the ring buffer had no room for (the reader fell behind). */
__u64 lost = 0;

static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < 16; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (comm[i] == 0)
			return true;
	}
	return true;
}

/* rb_flags: no wakeup per record (a wakeup is itself a context switch, and costs 40-70% per
 * switch); the reader drains on a timer, and is woken early only when the ring is half full. */
static __always_inline __u64 rb_flags(void *rb, __u64 size)
{
	return bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) > size / 2 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void count_lost(void)
{
	__sync_fetch_and_add(&lost, 1);
}

/* reserve_rec() reserves a ring buffer record of `size` bytes (a constant) and fills its header
 * (struct ts_rec_hdr); NULL, counted in `lost`, when the ring is full. */
static __always_inline void *reserve_rec(void *rb, __u64 size, __u32 kind, __u64 ts)
{
	struct ts_rec_hdr *h = bpf_ringbuf_reserve(rb, size, 0);
	if (!h) {
		count_lost();
		return NULL;
	}
	h->kind = kind;
	h->cpu = bpf_get_smp_processor_id();
	h->ts_ns = ts;
	return h;
}

/* current_ids() is the current task's pid and tid as the reader numbers them (0 and 0 when it is
 * not in the reader's pid namespace), and its comm in `comm`. */
static __always_inline void current_ids(__u32 *tgid, __u32 *tid, char comm[TS_COMM_LEN])
{
	if (pidns_ino) {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();

		*tgid = task_tgid_ns(t);
		*tid = *tgid ? task_tid_ns(t) : 0;
		if (!*tid)
			*tgid = 0;
	} else {
		__u64 id = bpf_get_current_pid_tgid();

		*tgid = id >> 32;
		*tid = (__u32)id;
	}
	bpf_get_current_comm(comm, TS_COMM_LEN);
}

/* TS_HOOK(name, tracepoint, call, args...) defines the hook twice, as tp_btf/tracepoint
 * (program btf_name) and raw_tp/tracepoint (raw_name), both returning `call`; user space loads
 * one set (lib/bpf/tracer_load.cpp). */
#define TS_HOOK(name, tp, call, ...)                                              \
	SEC("tp_btf/" #tp) int BPF_PROG(btf_##name, __VA_ARGS__) { return call; } \
	SEC("raw_tp/" #tp) int BPF_PROG(raw_##name, __VA_ARGS__) { return call; }

#endif
