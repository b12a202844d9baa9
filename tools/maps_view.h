// maps_view.h: how `taskscope maps` prints a classified address space (text and NDJSON).
// It sees only lib/model: the /proc readers fill the model, a view prints it.
#pragma once
#include <ostream>
#include <string>

#include "model/memory_map.h"

namespace ts::tools {

// size_lines() is size(1)'s Berkeley output for one file: its header line and its figures line,
// byte for byte as GNU size prints them (tab-separated, %7 columns, hex in lower case).
std::string size_lines(const SizeTotals& t, const std::string& filename);

// print_maps_text() writes the size line, the segment table and the totals.
void print_maps_text(const ProcessMaps& pm, std::ostream& out);

// print_maps_json() writes NDJSON: one {"type":"segment",...} object per mapping, in address order,
// then one {"type":"summary",...} object.
void print_maps_json(const ProcessMaps& pm, std::ostream& out);

// print_notes() writes each note as "note: <text>" (what could not be told, and why).
void print_notes(const ProcessMaps& pm, std::ostream& err);

// print_vm_status() writes what /proc/PID/status could tell when the maps were denied:
// as text lines, or as one {"type":"status",...} object when `json`.
void print_vm_status(int32_t pid, const VmStatus& st, bool json, std::ostream& out);

}  // namespace ts::tools
