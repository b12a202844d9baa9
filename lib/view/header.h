// header.h: the top of `taskscope top`'s screen as lines of styled spans: htop's meters (a bar
// per CPU by kind of time, memory, swap), the tasks, load, uptime, context switch and clone rates,
// what the source could not read; and gotop's graphs (CPU per core, memory, switches, clones, and
// the selected process's CPU) drawn from the history with braille, blocks or ASCII.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "view/frame.h"
#include "view/screen.h"
#include "view/top_history.h"

namespace ts::view {

// MeterPart is one coloured run of a meter: a fraction of the whole (0..1) and its style.
struct MeterPart {
  double fraction = 0;
  Style style = Style::Normal;
};

// meter_line() is one htop meter `width` cells wide: "Mem[|||||     1.2G/7.7G]": the label
// right-aligned in 3 cells, the bar between brackets, `text` at the bar's right end.
Line meter_line(std::string_view label, std::span<const MeterPart> parts, const std::string& text, int width);

// TaskCounts is the tasks line: processes, their threads, kernel threads, and runnable tasks.
struct TaskCounts {
  size_t processes = 0, threads = 0, kthreads = 0, running = 0;
};

// task_counts() counts the frame's tasks (kernel threads apart; running from the machine's count).
TaskCounts task_counts(const Frame& f);

// header_lines() is htop's header for a screen `width` cells wide: meters on the left, the tasks,
// load, uptime and rates on the right (stacked when narrow), then one line of source notes when the
// source could not read something (BPF columns, other users' details).
std::vector<Line> header_lines(const Frame& f, const std::string& source, int width, bool utf8);

// chart_lines() is one titled chart: a title line ("CPU0 12.3%") and `height - 1` chart lines of a
// series scaled to [0, max] (max <= 0: the series' own maximum).
std::vector<Line> chart_lines(const std::string& title, const History& h, double max, int width, int height,
                              bool utf8, Style style = Style::Chart);

// graph_lines() is gotop's graph area, `height` lines: a chart per CPU (side by side), then memory,
// context switches/s, clones/s and the CPU% of the process the history follows, side by side.
std::vector<Line> graph_lines(const Frame& f, const TopHistory& h, int width, int height, bool utf8);

// beside() joins blocks of lines left to right, each padded to its width; the result has as many
// lines as the tallest block.
std::vector<Line> beside(const std::vector<std::vector<Line>>& blocks, const std::vector<int>& widths);

}  // namespace ts::view
