// detail_pane.h: the detail view of `taskscope top` (Enter on a row): one process's LWPs with
// their own rates and M↔G labels, charts of its CPU and switch rates (and a goro process's
// runnable Gs and G switches/s), its memory segments as `taskscope maps` classifies them (the size
// line, the kinds, each thread's stack), and its recent events.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/memory_map.h"
#include "view/events_pane.h"
#include "view/frame.h"
#include "view/screen.h"
#include "view/top_history.h"
#include "view/top_model.h"

namespace ts::view {

// DetailMaps is the selected process's address space, read on demand (for that process only).
struct DetailMaps {
  int32_t pid = 0;                  // whose (0: nothing read yet)
  uint64_t read_ns = 0;             // CLOCK_MONOTONIC of the read
  std::optional<ProcessMaps> maps;  // nullopt when it could not be read
  std::string error;                // why not ("no permission: needs root or CAP_SYS_PTRACE")
};

// DetailInput is what the detail pane shows besides the frame.
struct DetailInput {
  int32_t pid = 0;
  const TopHistory* history = nullptr;  // its series (when history->pid() == pid)
  const DetailMaps* maps = nullptr;
  const EventLog* events = nullptr;
  const GoroLabels* labels = nullptr;
  uint64_t wall_offset_ns = 0;          // realtime - monotonic, for event times
};

// detail_pane_lines() is the pane, `width` cells wide.
std::vector<Line> detail_pane_lines(const Frame& f, const DetailInput& in, int width, bool utf8);

}  // namespace ts::view
