// proc_source.h: the /proc source: libproc2's pids tables, plus our own status parser for
// the context switches libproc2 4.0 does not report.
#pragma once
#include <memory>

#include "model/source.h"

namespace ts {

// make_proc_source() builds the /proc Source. Construction does no I/O; snapshot() throws
// ts::Error only when /proc as a whole cannot be read.
std::unique_ptr<Source> make_proc_source();

}  // namespace ts
