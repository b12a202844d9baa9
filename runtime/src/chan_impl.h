// chan_impl.h: the channel core shared by chan.cpp and select.cpp (Go's hchan, sudog, waitq).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <atomic>

#include "goro/chan.h"
#include "goro/detail/park.h"
#include "goro/mutex.h"

namespace goro::detail {

struct sudog;

// selstate is one parked select: the first channel to claim it (done 0 -> 1) wins and records
// which of its sudogs fired; the others skip its sudogs. Lives on the selecting G's stack.
struct selstate {
  std::atomic<uint32_t> done{0};
  sudog* winner = nullptr;
};

// sudog is a G waiting on one channel (Go's sudog). It lives on the waiting G's stack, so it is
// valid only until that G is readied: a waker reads what it needs, then calls ready().
struct sudog {
  G* g = nullptr;
  sudog* next = nullptr;
  sudog* prev = nullptr;
  void* elem = nullptr;      // sender: the value to move from; receiver: raw storage to move into
  hchan* c = nullptr;
  selstate* sel = nullptr;   // non-null when part of a select
  bool success = false;      // true: the operation completed; false: woken by close
};

// waitq is a FIFO of sudogs, guarded by the channel lock. first is atomic only so the lock-free
// fast paths may peek at it (relaxed, as Go's racy read); all writes happen under the lock.
struct waitq {
  std::atomic<sudog*> first{nullptr};
  sudog* last = nullptr;

  bool empty() const noexcept { return first.load(std::memory_order_relaxed) == nullptr; }
  void enqueue(sudog* s) noexcept;
  // dequeue() pops the first sudog that can still be woken (skipping selects already won).
  sudog* dequeue() noexcept;
  // remove() unlinks s if it is still queued (a select's losing cases).
  void remove(sudog* s) noexcept;
};

// hchan is a channel: Go's hchan with the buffer allocated right after it.
struct hchan {
  std::atomic<uint32_t> qcount{0};  // elements in buf; written under lock, peeked by fast paths
  uint32_t dataqsiz = 0;            // buffer capacity
  std::atomic<uint32_t> closed{0};  // written under lock, peeked by fast paths
  uint32_t sendx = 0;               // next slot to send into
  uint32_t recvx = 0;               // next slot to receive from
  waitq recvq;                      // parked receivers
  waitq sendq;                      // parked senders
  rtlock lock;
  const elem_ops* ops = nullptr;
  std::atomic<uint32_t> refs{1};
  unsigned char* buf = nullptr;

  void* slot(uint32_t i) const noexcept { return buf + static_cast<size_t>(i) * ops->size; }
  // full()/empty(): would a send/recv wait? Lock-free peeks, valid under the lock.
  bool full() const noexcept {
    return dataqsiz == 0 ? recvq.empty() : qcount.load(std::memory_order_relaxed) == dataqsiz;
  }
  bool empty() const noexcept {
    return dataqsiz == 0 ? sendq.empty() : qcount.load(std::memory_order_relaxed) == 0;
  }
};

// Helpers run under c->lock; they return the G to ready() once the lock is dropped (or nullptr).
// send_to(): hand ep to the parked receiver s.
G* send_to(hchan* c, sudog* s, void* ep) noexcept;
// recv_from(): take from the parked sender s (unbuffered: directly; full buffer: the head, and
// s's value goes to the tail).
G* recv_from(hchan* c, sudog* s, void* ep) noexcept;
// buf_send()/buf_recv(): through the ring buffer (room / an element must be there).
void buf_send(hchan* c, void* ep) noexcept;
void buf_recv(hchan* c, void* ep) noexcept;

// fastrandn() is a per-M random number in [0, n) for select's poll order.
uint32_t fastrandn(uint32_t n) noexcept;

}  // namespace goro::detail
