// goro_rows.h: the goro goroutine row, measured with the project's own runtime (runtime/).
#pragma once
#include "costs/observe.h"
#include "costs/row.h"

namespace ts::costs {

// measure_goro_row() measures goro::go of a G that runs and exits (1000 in flight), yields and
// unbuffered channel round trips between two Gs on one P pinned to one CPU (with the kernel's
// counts of the thread that ran them: no voluntary switch is expected), and the RSS parked Gs
// add; reserved is the runtime's G stack size, read from its published segment.
CostRow measure_goro_row(const Plan& plan, Observer& obs);

}  // namespace ts::costs
