// sched_weak.cpp: weak defaults for the netpoller hooks, replaced by netpoll.cpp's strong ones.
#include "goro/detail/park.h"

namespace goro::detail {

__attribute__((weak)) int netpoll(int64_t) { return 0; }
__attribute__((weak)) void netpoll_break() {}
__attribute__((weak)) bool netpoll_has_waiters() { return false; }

}  // namespace goro::detail
