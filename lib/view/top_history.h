// top_history.h: TopHistory, the series top's graphs draw, fed one Frame at a time: CPU busy per
// core, memory used, machine-wide context switches/s and clones/s, and for one chosen process its
// CPU% and switch rates (and, for a goro process, its runnable Gs and G switches/s). Bounded: each
// series is a fixed ring (view/history.h), so hours of refreshes never grow it.
#pragma once
#include <cstdint>
#include <vector>

#include "view/frame.h"
#include "view/history.h"

namespace ts::view {

// TopHistory holds the series.
class TopHistory {
 public:
  // TopHistory() keeps up to `capacity` samples per series.
  explicit TopHistory(size_t capacity = 600);

  // push() adds the frame's samples (a frame already pushed, by seq, is ignored). `pid` is the
  // process whose own series are kept; when it changes they start again.
  void push(const Frame& f, int32_t pid);

  // cpu() is per-core busy % (0..100), in the frame's CPU order.
  const std::vector<History>& cpu() const { return cpu_; }
  const History& cpu_all() const { return cpu_all_; }        // every CPU (0..100)
  const History& mem_used_pct() const { return mem_; }        // used memory, % of total
  const History& ctxt_ps() const { return ctxt_; }            // context switches/s, machine-wide
  const History& clones_ps() const { return clones_; }        // new processes + threads /s
  int32_t pid() const { return pid_; }                        // whose series follow
  const History& proc_cpu() const { return proc_cpu_; }       // its CPU% (100 = one CPU)
  const History& proc_nvcsw() const { return proc_nvcsw_; }   // its voluntary switches/s
  const History& proc_nivcsw() const { return proc_nivcsw_; } // its involuntary switches/s
  const History& goro_runnable() const { return goro_runnable_; }  // its runnable Gs (goro)
  const History& goro_switches() const { return goro_switches_; }  // its G switches/s (goro)

 private:
  size_t cap_;
  uint64_t last_seq_ = 0;
  std::vector<History> cpu_;
  History cpu_all_, mem_, ctxt_, clones_;
  int32_t pid_ = 0;
  History proc_cpu_, proc_nvcsw_, proc_nivcsw_, goro_runnable_, goro_switches_;
  uint64_t goro_prev_switches_ = 0, goro_prev_ns_ = 0;  // for G switches/s
};

}  // namespace ts::view
