// render.h: render_metrics(), the /metrics page of one Frame: a pure function (no I/O, no clock),
// so tests assert the exact series of a scripted Frame.
#pragma once
#include <cstddef>
#include <string>

#include "export/event_totals.h"
#include "export/exposition.h"
#include "view/frame.h"

namespace ts::exporter {

// RenderOptions is what the page holds beyond the per-process series.
struct RenderOptions {
  size_t top_threads = 0;  // per-thread series for the N threads with the most CPU in the frame's
                           // interval (--threads=top:N); 0: none
};

// render_metrics() writes the page for `f` (its processes, their goro/Go G/M/P state, the machine's
// events folded into `totals`) in format `fmt`, ending with "# EOF" in OpenMetrics. Series:
//   taskscope_process_cpu_seconds_total{pid,comm[,runtime],mode=user|system}   counter
//   taskscope_process_resident_memory_bytes{pid,comm[,runtime]}               gauge
//   taskscope_process_threads{pid,comm[,runtime]}                              gauge
//   taskscope_process_context_switches_total{pid,comm[,runtime],kind=voluntary|involuntary} counter
//   taskscope_process_run_queue_delay_seconds_total{pid,comm[,runtime]}        counter
//   taskscope_clones_total{verdict}, taskscope_execs_total, taskscope_exits_total{scope}  counters
//   taskscope_goroutines{pid,comm,runtime,state}, taskscope_gmp_run_queue_length{pid,comm,runtime,p}
//   taskscope_thread_cpu_seconds_total{pid,tid,comm,mode}, taskscope_thread_context_switches_total
//     {pid,tid,comm,kind} (only with top_threads)
//   taskscope_events_lost_total, taskscope_collect_seconds, taskscope_processes
// Kernel threads are left out (no address space, no runtime; node_exporter's business).
std::string render_metrics(const view::Frame& f, const EventTotals& totals, const RenderOptions& opts, Format fmt);

}  // namespace ts::exporter
