// bus_guard.h: surviving SIGBUS while reading a shared mapping another process may truncate.
#pragma once

namespace ts::goro {

// run_guarded() calls fn(arg) and returns true, or returns false when fn touched a page of a
// mapping whose file had been truncated beneath it (SIGBUS). fn must only copy memory: no
// allocation, no locks, no C++ objects with destructors, no exceptions (it may be abandoned
// halfway through with siglongjmp). Thread-safe; installs a SIGBUS handler once, which passes
// signals raised outside run_guarded on to the previous disposition.
bool run_guarded(void (*fn)(void*), void* arg);

}  // namespace ts::goro
