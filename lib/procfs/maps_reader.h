// maps_reader.h: reading and classifying one process's address space from /proc.
#pragma once
#include <sys/types.h>

#include <string_view>

#include "model/memory_map.h"
#include "procfs/maps_classify.h"
#include "procfs/maps_elf.h"
#include "procfs/maps_smaps.h"

namespace ts {

// parse_vm_status() picks the "Vm*:" and "Rss*:" lines of /proc/PID/status text.
VmStatus parse_vm_status(std::string_view text);

// read_process_maps() reads /proc/PID/{stat,maps,smaps,smaps_rollup,exe,task/*/syscall} and the goro
// segment when there is one (for the G stack arena), and classifies. When the main thread has exited
// while other threads live (pthread_exit in main), the address space is read through a live thread
// (/proc/PID/task/TID/...), and a note says so.
// Throws ts::Error:
//  - "no process with pid N" (status 1) when pid does not exist or exits while being read;
//  - when /proc/PID/maps is denied: names the file and says root or CAP_SYS_PTRACE is needed;
//    `denied_status`, when given, then receives what /proc/PID/status could tell;
//  - when no thread of the process has an address space (a zombie or kernel thread).
// What is missing but not essential (smaps, the ELF, thread stacks) becomes a note in map.notes.
ProcessMaps read_process_maps(pid_t pid, VmStatus* denied_status = nullptr);

}  // namespace ts
