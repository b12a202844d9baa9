// reader.h: reading the G/M/P state a goro process publishes, from outside the process.
#pragma once
#include <cstdint>
#include <string>

#include "goro/segment.h"
#include "model/error.h"
#include "model/gmp.h"

namespace ts::goro {

// Gone (ts::Gone) is what read_goro() throws when pid does not exist (or exited while being read) or
// publishes no segment. To a watcher that has read pid before it means the program ended: the
// runtime unlinks its segment on every way out, before the process is gone (and a zombie's pid
// still answers).
using Gone = ts::Gone;

// segment_path() is where pid's runtime publishes its state: "/dev/shm/goro.<pid>".
std::string segment_path(int32_t pid);

// read_goro() opens pid's segment read-only and decodes it (see parse_segment()), then checks that
// the segment's owner is pid and alive and not younger than the segment says (a stale segment left
// by a crashed process whose pid was reused), and marks Ms whose tid is not in /proc/PID/task.
// Throws ts::Error with a one-line message: no such process or no segment ("is it a goro
// program?"), both as Gone,
// permission denied (the runtime creates the segment 0600: the message names the file and the
// owner's uid, as reading needs that uid or root), or a malformed segment.
GoroSnapshot read_goro(int32_t pid, const ParseOptions& opt = {});

}  // namespace ts::goro
