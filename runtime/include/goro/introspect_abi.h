/* introspect_abi.h: the published G/M/P state of a goro process, as read from outside.
 *
 * goro_abi_desc is the contract between the goro runtime (the only writer) and taskscope's readers
 * (lib/goro: gmp, top, stack, trace). C-compatible, fixed-width, little-endian x86-64/aarch64.
 *
 * Where it lives: a POSIX shared-memory segment named "/goro.<pid>" (so /dev/shm/goro.<pid>),
 * created by the runtime at goro::run() and unlinked at exit. The segment begins with a
 * goro_abi_desc; the P, M and G tables follow at the offsets it gives. The G table may be larger
 * than what is in use: g_hwm (high-water mark) bounds the slots a reader must scan. The file is
 * sized for g_cap slots up front (sparse: untouched pages cost nothing).
 *
 * Consistency: every record has one writer at a time and a sequence counter `seq`: the writer makes
 * it odd, stores the fields, then makes it even (store-release). A reader copies the record and
 * accepts it only when seq was even and unchanged around the copy; otherwise it retries a few times
 * and then reports the record as torn. Zero syscalls and no locks on the writer's side.
 *
 * Trust: a reader must treat everything here as untrusted: check magic, version, sizes, that every
 * offset+count*size lies inside the segment, every enum value, every string index.
 */
#ifndef GORO_INTROSPECT_ABI_H
#define GORO_INTROSPECT_ABI_H

#include <stdint.h>

#define GORO_ABI_MAGIC 0x31494241524f4f47ull /* "GOORABI1" little-endian */
#define GORO_ABI_VERSION 1u
#define GORO_ABI_SHM_PREFIX "/goro." /* + decimal pid */

/* goro_gstate: a G's status, named as Go names them (runtime2.go). */
enum goro_gstate {
  GORO_G_IDLE = 0,      /* "idle": just allocated, not yet initialised */
  GORO_G_RUNNABLE = 1,  /* "runnable": on a run queue, not executing; stack not owned */
  GORO_G_RUNNING = 2,   /* "running": executing user code on an M that owns a P */
  GORO_G_SYSCALL = 3,   /* "syscall": in a blocking system call (goro::syscall), owns an M, not a P */
  GORO_G_WAITING = 4,   /* "waiting": parked; wait_reason says why; on no run queue */
  GORO_G_DEAD = 6,      /* "dead": exited; the slot may be reused (goid 0 = free slot) */
  GORO_G_STATE_MAX = 7
};

/* goro_wait_reason: why a G waits, as Go's waitReason strings (runtime2.go). */
enum goro_wait_reason {
  GORO_WAIT_NONE = 0,          /* "" */
  GORO_WAIT_CHAN_RECV = 1,     /* "chan receive" */
  GORO_WAIT_CHAN_SEND = 2,     /* "chan send" */
  GORO_WAIT_CHAN_RECV_NIL = 3, /* "chan receive (nil chan)" */
  GORO_WAIT_CHAN_SEND_NIL = 4, /* "chan send (nil chan)" */
  GORO_WAIT_SELECT = 5,        /* "select" */
  GORO_WAIT_SELECT_NO_CASES = 6, /* "select (no cases)" */
  GORO_WAIT_SLEEP = 7,         /* "sleep" */
  GORO_WAIT_IO = 8,            /* "IO wait" */
  GORO_WAIT_MUTEX = 9,         /* "sync.Mutex.Lock" */
  GORO_WAIT_COND = 10,         /* "sync.Cond.Wait" */
  GORO_WAIT_WAITGROUP = 11,    /* "sync.WaitGroup.Wait" */
  GORO_WAIT_PREEMPTED = 12,    /* "preempted" */
  GORO_WAIT_TIMER = 13,        /* "timer goroutine (idle)" */
  GORO_WAIT_REASON_MAX = 14
};

/* goro_wait_reason_name() returns Go's waitReason string for `r` (the one table of them: the
 * runtime's dumps and taskscope's readers both print it); "" for GORO_WAIT_NONE and "waiting" for
 * a value past GORO_WAIT_REASON_MAX (a newer writer, or a torn record). */
static inline const char* goro_wait_reason_name(uint32_t r) {
  static const char* const names[GORO_WAIT_REASON_MAX] = {
      "",           "chan receive", "chan send", "chan receive (nil chan)", "chan send (nil chan)",
      "select",     "select (no cases)", "sleep", "IO wait", "sync.Mutex.Lock", "sync.Cond.Wait",
      "sync.WaitGroup.Wait", "preempted", "timer goroutine (idle)"};
  return r < GORO_WAIT_REASON_MAX ? names[r] : "waiting";
}

/* goro_pstatus: a P's status, as Go's _Pidle etc. */
enum goro_pstatus {
  GORO_P_IDLE = 0,    /* "idle": no M, on the idle list */
  GORO_P_RUNNING = 1, /* "running": owned by an M running Gs or the scheduler */
  GORO_P_SYSCALL = 2, /* "syscall": its M is in a syscall; sysmon may hand it off */
  GORO_P_DEAD = 4,    /* "dead": beyond GORO_MAXPROCS */
  GORO_P_STATUS_MAX = 5
};

/* goro_g_flags: bits in goro_g_rec.flags. */
#define GORO_GF_LONG_RUNNING 0x1u /* running, and sysmon saw it hold its P > 10 ms without a scheduling
                                      point (goro never preempts); cleared when it next stops. Only
                                      meaningful with state RUNNING (sysmon's racy set may land just
                                      after it stopped); run_since_ns says since when */
#define GORO_GF_MAIN 0x2u         /* the main G (the function given to goro::run) */
#define GORO_GF_SYSTEM 0x4u       /* a runtime-internal G */

/* goro_p_rec: one P (logical processor). Writer: the M that owns the P (sysmon for handoff).
 * Refreshed every 61 schedticks and whenever the P changes hands or status, not on every switch:
 * the counters and runq_len may lag the live P by up to 60 switches. */
struct goro_p_rec {
  uint32_t seq;          /* odd while being written */
  uint32_t id;           /* 0 .. p_count-1 */
  uint32_t status;       /* enum goro_pstatus */
  int32_t m_id;          /* owning M, -1 none */
  uint32_t runq_len;     /* Gs in the local run queue (runnext included) */
  uint32_t pad0;
  uint64_t runnext_goid; /* G in runnext, 0 none */
  uint64_t schedtick;    /* incremented on every scheduler call */
  uint64_t syscalltick;  /* incremented on every syscall */
  uint64_t switches;     /* G switches done on this P */
  uint64_t gs_created;   /* Gs created by Gs running on this P */
  uint64_t steals;       /* successful steals by Ms holding this P */
};

/* goro_m_flags: bits in goro_m_rec.flags (0 in segments of older runtimes). */
#define GORO_MF_SYSMON 0x1u /* sysmon's thread: never runs Gs nor holds a P (Go's sysmon M) */

/* goro_m_rec: one M (a kernel thread). Writer: the M itself. Every thread the runtime made has
 * one, sysmon's included (as Go's mcount counts it): the in-use records are the SCHED line's
 * threads=. */
struct goro_m_rec {
  uint32_t seq;       /* odd while being written */
  uint32_t id;        /* 0 .. */
  int32_t tid;        /* kernel thread id (gettid), 0 when the slot is unused */
  int32_t p_id;       /* held P, -1 none */
  uint32_t spinning;  /* 1 while looking for work */
  uint32_t in_syscall;/* 1 while its G is in a syscall */
  uint32_t parked;    /* 1 while asleep on its futex */
  uint32_t flags;     /* GORO_MF_* (was padding: 0 from older runtimes) */
  uint64_t cur_goid;  /* G it runs, 0 none (on the scheduler) */
  uint64_t pad1[3];
};

/* goro_g_rec: one G (goroutine). Writer: whoever owns the G at the time (its M, or the M that
 * readies it while it is parked: ownership passes through the run queues with release/acquire). */
struct goro_g_rec {
  uint32_t seq;           /* odd while being written */
  uint32_t state;         /* enum goro_gstate */
  uint64_t goid;          /* 1.. ; 0 marks a free slot */
  uint64_t parent_goid;   /* G that created it, 0 for the main G */
  uint32_t wait_reason;   /* enum goro_wait_reason, when state is WAITING */
  int32_t m_id;           /* M running it, -1 none */
  uint64_t wait_since_ns; /* CLOCK_MONOTONIC when it parked (0 when not waiting) */
  uint64_t create_pc;     /* return address in the caller of goro::go (creation site) */
  uint64_t start_pc;      /* entry of the G's function (symbolizable) */
  uint64_t stack_lo;      /* lowest usable stack address (above the guard) */
  uint64_t stack_hi;      /* highest stack address (stack grows down from here) */
  uint64_t sp, pc, fp;    /* saved registers while not running (sp: the frame goro_switch pushed,
                             pc at sp+48, fp at sp+40); 0 while running */
  uint64_t run_since_ns;  /* CLOCK_MONOTONIC (sysmon's clock, <= 1 ms stale) when it last got a P
                             to run on: scheduled, or back from a syscall */
  uint32_t flags;         /* GORO_GF_* */
  uint32_t pad0;
};

/* goro_abi_desc: the head of the segment. Writer: the runtime at start (static fields) and the
 * counters below, each with its own single writer as noted. */
struct goro_abi_desc {
  uint64_t magic;       /* GORO_ABI_MAGIC */
  uint32_t version;     /* GORO_ABI_VERSION */
  uint32_t desc_size;   /* sizeof(struct goro_abi_desc) */
  int32_t pid;          /* the process that owns the segment */
  uint32_t gomaxprocs;  /* number of live Ps */
  uint64_t start_unix_ns; /* when goro::run started */
  uint64_t segment_size;  /* total bytes of the segment */
  uint64_t p_off; uint32_t p_count; uint32_t p_size; /* P table */
  uint64_t m_off; uint32_t m_cap;   uint32_t m_size; /* M table */
  uint64_t g_off; uint32_t g_cap;   uint32_t g_size; /* G table */
  uint32_t g_hwm;       /* slots [0, g_hwm) may be in use (store-release by the allocator) */
  uint32_t m_count;     /* M slots [0, m_count) are in use */
  uint32_t stack_size;  /* default G stack size, bytes */
  uint32_t guard_kind;  /* 0 none, 1 mprotect, 2 MADV_GUARD_INSTALL */
  uint64_t sysmon_ticks;/* writer: sysmon */
  uint64_t global_runq_len; /* writer: whoever holds the scheduler lock */
  /* The G stack arena (static, set at start): one reserved mapping holding every G's slot,
   * [guard | stack | G struct] each slot_size bytes from arena_lo. 0 in segments of older runtimes. */
  uint64_t arena_lo;    /* first byte of the arena */
  uint64_t arena_hi;    /* one past its last byte */
  uint64_t slot_size;   /* bytes per slot: guard_size + stack + the G struct */
  uint64_t guard_size;  /* bytes of guard at the bottom of each slot */
  uint64_t pad[2];
};

#endif /* GORO_INTROSPECT_ABI_H */
