// gmp_source.h: picking the source of a process's G/M/P state: a goro runtime's segment or an
// unmodified Go program's memory. The one place that knows both (as make_source() for tasks).
#pragma once
#include <cstdint>

#include "model/gmp.h"

namespace ts {

// read_gmp() reads pid's scheduler state from the goro segment it publishes when there is one,
// else from its Go runtime's memory when its executable is a Go program (gort::read_go()), else
// fails as read_goro() does ("publishes no goro state ... is it a goro program?"). Throws ts::Gone
// when pid does not exist or exits during the read, ts::Error with one line otherwise.
GoroSnapshot read_gmp(int32_t pid);

}  // namespace ts
