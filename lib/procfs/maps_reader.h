// maps_reader.h: reading and classifying one process's address space from /proc.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "procfs/maps_classify.h"
#include "procfs/maps_elf.h"
#include "procfs/maps_smaps.h"

namespace ts {

// VmStatus is the Vm* lines of /proc/PID/status (readable by anyone), in file order: what can be
// shown when the maps themselves are denied. Values in bytes.
struct VmStatus {
  std::vector<std::pair<std::string, uint64_t>> lines;  // ("VmSize", 1234567), ...
};

// parse_vm_status() picks the "Vm*:" and "Rss*:" lines of /proc/PID/status text.
VmStatus parse_vm_status(std::string_view text);

// ProcessMaps is one process's classified address space and everything that came with it.
struct ProcessMaps {
  int32_t pid = 0;
  std::string comm;                    // from /proc/PID/comm ("" when unreadable)
  Classified map;                      // classified segments, bss placement, notes
  AddressLayout layout;                // stat's fields; brk is the end of the [heap] mapping (page-rounded),
                                       // or start_brk when there is none
  std::optional<SmapsRollup> rollup;   // nullopt when smaps_rollup was unreadable
  std::optional<SizeTotals> size;      // size(1)'s figures for the executable; nullopt when unreadable
};

// read_process_maps() reads /proc/PID/{stat,maps,smaps,smaps_rollup,exe,task/*/syscall} and classifies.
// Throws ts::Error:
//  - "no process with pid N" (status 1) when pid does not exist or exits while being read;
//  - when /proc/PID/maps is denied: names the file and says root or CAP_SYS_PTRACE is needed;
//    `denied_status`, when given, then receives what /proc/PID/status could tell;
//  - when the process has no address space (a zombie or kernel thread).
// What is missing but not essential (smaps, the ELF, thread stacks) becomes a note in map.notes.
ProcessMaps read_process_maps(pid_t pid, VmStatus* denied_status = nullptr);

}  // namespace ts
