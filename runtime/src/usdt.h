// usdt.h: the runtime's USDT probes (provider "goro"), for bpftrace/BPF to follow Gs.
//
// Probes (arguments): g__create(goid, parent_goid, start_pc), g__start(goid, m_id),
// g__park(goid, wait_reason), g__ready(goid, by_goid), g__exit(goid), p__steal(p_id, victim_p_id, n),
// m__park(m_id), m__unpark(m_id), syscall__enter(goid), syscall__exit(goid).
// Listed by `readelf -n` (.note.stapsdt); `bpftrace -e 'usdt:./prog:goro:g__park { ... }'`.
// Disabled cost: each probe site is a single nop in the instruction stream (the arguments are
// described in the note, evaluated only into registers the compiler already has); no semaphore
// is used, so there is not even a load+branch: nothing happens until a tracer patches in an int3.
#pragma once
#include <sys/sdt.h>

#define GORO_PROBE0(name) DTRACE_PROBE(goro, name)
#define GORO_PROBE1(name, a) DTRACE_PROBE1(goro, name, a)
#define GORO_PROBE2(name, a, b) DTRACE_PROBE2(goro, name, a, b)
#define GORO_PROBE3(name, a, b, c) DTRACE_PROBE3(goro, name, a, b, c)
