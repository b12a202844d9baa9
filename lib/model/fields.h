// fields.h: which Task/Process fields a view needs, so a source reads only those.
#pragma once
#include <cstdint>

namespace ts {

// Field names one group of task data a source can fill. A source must fill
// every field asked for that it can, and may leave others at their defaults.
// A hidden column costs nothing: views ask only for what they show.
enum class Field : uint32_t {
  Ids = 1u << 0,       // tid, tgid, ppid, comm, kthread (always filled)
  State = 1u << 1,     // state, last cpu
  Times = 1u << 2,     // utime, stime, start time
  Sched = 1u << 3,     // nice, prio, policy
  Switches = 1u << 4,  // nvcsw, nivcsw
  Memory = 1u << 5,    // rss, vsize
  User = 1u << 6,      // uid and user name
  Cmdline = 1u << 7,   // full command line (process level)
  Layout = 1u << 8,    // start_code .. start_stack (process level)
  Delay = 1u << 9,     // run-queue delay and pcount (schedstats; BPF only)
};

// Fields is a set of Field bits.
using Fields = uint32_t;

// operator| combines two Field values into a Fields set.
constexpr Fields operator|(Field a, Field b) { return static_cast<uint32_t>(a) | static_cast<uint32_t>(b); }
// operator| adds a Field to a Fields set.
constexpr Fields operator|(Fields a, Field b) { return a | static_cast<uint32_t>(b); }
// has() tells whether the set `f` contains `x`.
constexpr bool has(Fields f, Field x) { return (f & static_cast<uint32_t>(x)) != 0; }

// kAllFields asks for everything a source can give.
constexpr Fields kAllFields = 0x3ffu;

}  // namespace ts
