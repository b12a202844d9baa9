// go_row.h: the Go row: a real Go goroutine, measured by a small Go program shipped with
// taskscope (share/taskscope/bench-go) and built offline into the cache directory on first use.
#pragma once
#include <ostream>
#include <string>

#include "costs/observe.h"
#include "costs/row.h"

namespace ts::costs {

// find_go() is the path of `go` on PATH, or "" when there is none.
std::string find_go();

// go_program() returns the built Go bench program for this toolchain and source, building it
// first when the cache has none: GOFLAGS=-mod=mod GOPROXY=off (no network), GOCACHE and GOPATH
// under cache_dir()/bench-go. Says on `note` that it builds, as that takes seconds once. Throws
// ts::Error (status 1) when the source is missing or the build fails.
std::string go_program(const std::string& go, std::ostream& note);

// measure_go_row() runs the program's three modes: create (GOMAXPROCS = the create CPUs), switch
// (GOMAXPROCS=1, pinned to the switch CPU, the kernel's counts of the thread that ran it) and
// park (RSS per parked goroutine). Reserved is Go's 2 KiB starting stack (a constant of Go's
// runtime, _StackMin).
CostRow measure_go_row(const Plan& plan, Observer& obs, const std::string& program);

}  // namespace ts::costs
