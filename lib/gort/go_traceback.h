// go_traceback.h: the lines of a goroutine traceback as the Go runtime itself prints them, so what
// taskscope reads from outside can be put beside (and checked against) Go's own SIGQUIT dump.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "dwarf/symbolizer.h"

namespace ts::gort {

// go_created_by() is the "created by" trailer of goroutine `goid`'s traceback, as the Go version
// `go_version` ("go1.19.8") prints it (runtime.printcreatedby1), from its g.gopc symbolized as a
// return address (`gopc`: function = the out-of-line function's symbol, file:line = the line table
// at gopc-1, offset = gopc minus the function's entry):
//   created by main.main                 (go1.21+: "created by main.main in goroutine 1")
//   \t/path/main.go:42 +0x85
// Each line ends in '\n'. "" where Go prints none: goroutine 1 (the main goroutine; runtime.main
// is started by the runtime's assembly, not a go statement) and a gopc that names no function.
// An unknown line prints as Go's funcline does: "?:0".
std::string go_created_by(const dwarf::Site& gopc, uint64_t goid, uint64_t parent_goid, std::string_view go_version);

// go_minor() is the minor version of "go1.19.8" (19); -1 when the text is not a Go version.
int go_minor(std::string_view go_version);

}  // namespace ts::gort
