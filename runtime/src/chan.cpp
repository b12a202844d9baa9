// chan.cpp: the type-erased channel core, a transcription of Go's runtime/chan.go.
//
// Invariants (as chan.go states them), for a channel c:
//   at least one of c.sendq and c.recvq is empty, except for an unbuffered channel with a single G
//   blocked on it for both sending and receiving with select;
//   buffered: c.qcount > 0 implies c.recvq is empty; c.qcount < c.dataqsiz implies c.sendq is empty.
// A parked G's sudog lives on its own stack; whoever dequeues it moves the element and sets
// success under the lock, and calls ready() only after unlocking (the G is then free to run and
// its sudog to vanish). park()'s unlock callback drops the lock only once the G is off its stack,
// so no wakeup is lost between enqueueing and parking.
#include <stdint.h>
#include <stdlib.h>

#include <new>

#include "chan_impl.h"
#include "goro/introspect_abi.h"
#include "sync_fatal.h"

namespace goro::detail {

void waitq::enqueue(sudog* s) noexcept {
  s->next = nullptr;
  sudog* l = last;
  if (l == nullptr) {
    s->prev = nullptr;
    first.store(s, std::memory_order_relaxed);
    last = s;
    return;
  }
  s->prev = l;
  l->next = s;
  last = s;
}

sudog* waitq::dequeue() noexcept {
  for (;;) {
    sudog* s = first.load(std::memory_order_relaxed);
    if (s == nullptr) return nullptr;
    sudog* y = s->next;
    if (y == nullptr) {
      first.store(nullptr, std::memory_order_relaxed);
      last = nullptr;
    } else {
      y->prev = nullptr;
      first.store(y, std::memory_order_relaxed);
      s->next = nullptr;
    }
    // A select's sudog sits on several channels; only the first to claim its select may wake it.
    // The CAS makes the rest skip (and unlink) it, while its G relocks everything to clean up.
    if (s->sel != nullptr) {
      uint32_t expect = 0;
      if (!s->sel->done.compare_exchange_strong(expect, 1, std::memory_order_acq_rel)) continue;
      s->sel->winner = s;
    }
    return s;
  }
}

void waitq::remove(sudog* s) noexcept {
  sudog* x = s->prev;
  sudog* y = s->next;
  if (x != nullptr) {
    if (y != nullptr) {  // middle
      x->next = y;
      y->prev = x;
      s->next = s->prev = nullptr;
      return;
    }
    x->next = nullptr;  // last
    last = x;
    s->prev = nullptr;
    return;
  }
  if (y != nullptr) {  // first
    y->prev = nullptr;
    first.store(y, std::memory_order_relaxed);
    s->next = nullptr;
    return;
  }
  // Alone in the queue, or already unlinked by a dequeue that skipped it.
  if (first.load(std::memory_order_relaxed) == s) {
    first.store(nullptr, std::memory_order_relaxed);
    last = nullptr;
  }
}

G* send_to(hchan* c, sudog* s, void* ep) noexcept {
  c->ops->move(s->elem, ep);
  s->success = true;
  return s->g;
}

G* recv_from(hchan* c, sudog* s, void* ep) noexcept {
  if (c->dataqsiz == 0) {
    c->ops->move(ep, s->elem);
  } else {
    // The buffer is full (a sender waits): take its head, put the sender's value at its tail,
    // which is the same slot once recvx advances.
    void* head = c->slot(c->recvx);
    c->ops->move(ep, head);
    if (c->ops->destroy) c->ops->destroy(head);
    c->ops->move(head, s->elem);
    if (++c->recvx == c->dataqsiz) c->recvx = 0;
    c->sendx = c->recvx;
  }
  s->success = true;
  return s->g;
}

void buf_send(hchan* c, void* ep) noexcept {
  c->ops->move(c->slot(c->sendx), ep);
  if (++c->sendx == c->dataqsiz) c->sendx = 0;
  c->qcount.store(c->qcount.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void buf_recv(hchan* c, void* ep) noexcept {
  void* head = c->slot(c->recvx);
  c->ops->move(ep, head);
  if (c->ops->destroy) c->ops->destroy(head);
  if (++c->recvx == c->dataqsiz) c->recvx = 0;
  c->qcount.store(c->qcount.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

hchan* chan_make(const elem_ops* ops, size_t cap) {
  if (cap > (1u << 30) || (ops->size != 0 && cap > (size_t{1} << 40) / ops->size))
    sync_panic("makechan: size out of range");
  size_t align = ops->align > alignof(hchan) ? ops->align : alignof(hchan);
  size_t head = (sizeof(hchan) + align - 1) / align * align;
  size_t bytes = head + cap * ops->size;
  void* mem = ::operator new(bytes, std::align_val_t(align));
  hchan* c = ::new (mem) hchan;
  c->dataqsiz = static_cast<uint32_t>(cap);
  c->ops = ops;
  c->buf = static_cast<unsigned char*>(mem) + head;
  return c;
}

void chan_ref(hchan* c) noexcept { c->refs.fetch_add(1, std::memory_order_relaxed); }

void chan_unref(hchan* c) noexcept {
  if (c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (c->ops->destroy) {
    uint32_t n = c->qcount.load(std::memory_order_relaxed);
    for (uint32_t i = 0, x = c->recvx; i < n; ++i) {
      c->ops->destroy(c->slot(x));
      if (++x == c->dataqsiz) x = 0;
    }
  }
  size_t align = c->ops->align > alignof(hchan) ? c->ops->align : alignof(hchan);
  c->~hchan();
  ::operator delete(static_cast<void*>(c), std::align_val_t(align));
}

namespace {

[[noreturn]] void park_forever(uint32_t reason) {
  if (current_g() == nullptr) sync_fatal("blocking channel operation on a nil channel outside a goroutine");
  park(reason, nullptr, nullptr);
  sync_fatal("unreachable: a G parked on a nil channel was readied");
}

G* must_g(const char* what) {
  G* g = current_g();
  if (g == nullptr) sync_fatal(what);
  return g;
}

}  // namespace

bool chan_send(hchan* c, void* ep, bool block) {
  if (c == nullptr) {
    if (!block) return false;
    park_forever(GORO_WAIT_CHAN_SEND_NIL);
  }
  // Fast path: a non-blocking send on an open, full channel fails without the lock. Reading
  // closed before full() matters: see chan.go's comment on the reordering it rules out.
  if (!block && c->closed.load(std::memory_order_relaxed) == 0 && c->full()) return false;

  c->lock.lock();
  if (c->closed.load(std::memory_order_relaxed) != 0) {
    c->lock.unlock();
    sync_panic("send on closed channel");
  }
  if (sudog* s = c->recvq.dequeue()) {
    G* g = send_to(c, s, ep);
    c->lock.unlock();
    ready(g);
    return true;
  }
  if (c->qcount.load(std::memory_order_relaxed) < c->dataqsiz) {
    buf_send(c, ep);
    c->lock.unlock();
    return true;
  }
  if (!block) {
    c->lock.unlock();
    return false;
  }
  sudog me;
  me.g = must_g("blocking channel send outside a goroutine (use try_send, or call it inside goro::run)");
  me.elem = ep;
  me.c = c;
  c->sendq.enqueue(&me);
  park(GORO_WAIT_CHAN_SEND, &rtlock::unlock_fn, &c->lock);
  if (!me.success) sync_panic("send on closed channel");
  return true;
}

int chan_recv(hchan* c, void* ep, bool block) {
  if (c == nullptr) {
    if (!block) return kRecvWouldBlock;
    park_forever(GORO_WAIT_CHAN_RECV_NIL);
  }
  // Fast path: a non-blocking receive on an empty channel fails without the lock; closed and
  // still empty (checked in that order, as chan.go) reports closed.
  if (!block && c->empty()) {
    if (c->closed.load(std::memory_order_acquire) == 0) return kRecvWouldBlock;
    if (c->empty()) return kRecvClosed;
  }

  c->lock.lock();
  if (c->closed.load(std::memory_order_relaxed) != 0 && c->qcount.load(std::memory_order_relaxed) == 0) {
    c->lock.unlock();
    return kRecvClosed;
  }
  if (sudog* s = c->sendq.dequeue()) {
    G* g = recv_from(c, s, ep);
    c->lock.unlock();
    ready(g);
    return kRecvValue;
  }
  if (c->qcount.load(std::memory_order_relaxed) > 0) {
    buf_recv(c, ep);
    c->lock.unlock();
    return kRecvValue;
  }
  if (!block) {
    c->lock.unlock();
    return kRecvWouldBlock;
  }
  sudog me;
  me.g = must_g("blocking channel receive outside a goroutine (use try_recv, or call it inside goro::run)");
  me.elem = ep;
  me.c = c;
  c->recvq.enqueue(&me);
  park(GORO_WAIT_CHAN_RECV, &rtlock::unlock_fn, &c->lock);
  return me.success ? kRecvValue : kRecvClosed;
}

void chan_close(hchan* c) {
  if (c == nullptr) sync_panic("close of nil channel");
  c->lock.lock();
  if (c->closed.load(std::memory_order_relaxed) != 0) {
    c->lock.unlock();
    sync_panic("close of closed channel");
  }
  c->closed.store(1, std::memory_order_release);
  // Collect every waiter (receivers get "closed", senders will panic), then wake them unlocked.
  // The list is threaded through the Gs' own sudogs: read next before readying each.
  sudog* list = nullptr;
  for (waitq* q : {&c->recvq, &c->sendq}) {
    while (sudog* s = q->dequeue()) {
      s->success = false;
      s->next = list;
      list = s;
    }
  }
  c->lock.unlock();
  while (list != nullptr) {
    sudog* next = list->next;
    ready(list->g);
    list = next;
  }
}

size_t chan_len(const hchan* c) noexcept { return c ? c->qcount.load(std::memory_order_relaxed) : 0; }

size_t chan_cap(const hchan* c) noexcept { return c ? c->dataqsiz : 0; }

}  // namespace goro::detail
