// reader.h: reading the G/M/P state a goro process publishes, from outside the process.
#pragma once
#include <cstdint>
#include <string>

#include "goro/segment.h"
#include "model/gmp.h"

namespace ts::goro {

// segment_path() is where pid's runtime publishes its state: "/dev/shm/goro.<pid>".
std::string segment_path(int32_t pid);

// read_goro() opens pid's segment read-only and decodes it (see parse_segment()), then checks that
// the segment's owner is pid and alive and not younger than the segment says (a stale segment left
// by a crashed process whose pid was reused), and marks Ms whose tid is not in /proc/PID/task.
// Throws ts::Error with a one-line message: no such process, no segment ("is it a goro program?"),
// permission denied (naming the file and what is needed), or a malformed segment.
GoroSnapshot read_goro(int32_t pid, const ParseOptions& opt = {});

}  // namespace ts::goro
