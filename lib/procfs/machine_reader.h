// machine_reader.h: MachineReader, the machine-wide counters (/proc/stat, /proc/meminfo, load,
// uptime) read through libproc2 into a MachineSample.
#pragma once
#include "model/machine.h"

struct stat_info;
struct meminfo_info;

namespace ts::procfs {

// MachineReader keeps libproc2's stat and meminfo handles across reads. Not thread-safe: one
// reader per thread.
class MachineReader {
 public:
  // MachineReader() opens the handles; throws ts::Error (status 1) when /proc cannot be read.
  MachineReader();
  ~MachineReader();
  MachineReader(const MachineReader&) = delete;
  MachineReader& operator=(const MachineReader&) = delete;

  // read() takes one sample now. Throws ts::Error when /proc/stat stops being readable.
  // libproc2 re-reads /proc/meminfo at most once a second, so memory may be up to 1 s old.
  MachineSample read();

 private:
  stat_info* stat_ = nullptr;
  meminfo_info* mem_ = nullptr;
};

}  // namespace ts::procfs
