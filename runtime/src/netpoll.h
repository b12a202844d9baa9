// netpoll.h: the netpoller's interface to goro::net (Go's pollDesc and poll_runtime_poll*).
#pragma once
#include <stdint.h>

namespace goro::detail {

struct poll_desc;

// netpoll_open() registers fd with the epoll instance (edge-triggered, read and write at once) and
// returns its descriptor; nullptr with errno set on failure. Creates the poller on first use.
poll_desc* netpoll_open(int fd);
// netpoll_close() deregisters the descriptor before its fd is closed, and recycles it.
// No G may be waiting on it.
void netpoll_close(poll_desc* pd);
// netpoll_wait() parks the calling G in "IO wait" until the fd is readable (write=false) or
// writable (write=true) since the last wait consumed readiness. Returns false when the descriptor
// was unblocked by netpoll_unblock() (the fd is being closed). One reader and one writer at a time.
bool netpoll_wait(poll_desc* pd, bool write);
// netpoll_unblock() marks the descriptor closing and wakes its waiters; later waits return false.
void netpoll_unblock(poll_desc* pd);

}  // namespace goro::detail
