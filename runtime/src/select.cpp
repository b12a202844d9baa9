// select.cpp: selectgo, a transcription of Go's runtime/select.go.
//
// 1. Permute the non-nil cases into a random poll order and sort them by channel address into the
//    lock order (so two selects over the same channels cannot deadlock).
// 2. Lock every channel; poll in poll order for a case that can proceed now.
// 3. None (and no default): enqueue one sudog per case, all sharing a selstate, and park; park's
//    unlock callback releases the channels once the G is off its stack.
// 4. Woken by the channel whose dequeue won selstate.done: relock everything, unlink the sudogs
//    from the losing channels, unlock, and report the winner.
#include <stdint.h>

#include <algorithm>
#include <chrono>

#include "chan_impl.h"
#include "goro/introspect_abi.h"
#include "goro/select.h"
#include "sync_fatal.h"

namespace goro::detail {

static_assert(sizeof(sudog) <= sizeof(scase::sudog_space), "scase::sudog_space is too small for a sudog");

uint32_t fastrandn(uint32_t n) noexcept {
  // wyrand, one state per thread; seeded from the state's address and the clock.
  static thread_local uint64_t state = 0;
  if (state == 0) {
    state = reinterpret_cast<uintptr_t>(&state) ^
            static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^ 0x9e3779b97f4a7c15ull;
  }
  state += 0xa0761d6478bd642full;
  __uint128_t m = static_cast<__uint128_t>(state) * (state ^ 0xe7037ed1a0b428dbull);
  uint32_t r = static_cast<uint32_t>((m >> 64) ^ m);
  return static_cast<uint32_t>((static_cast<uint64_t>(r) * n) >> 32);
}

namespace {

struct sellock_set {
  scase* cases;
  const uint16_t* lockorder;
  int n;
};

void sellock(const sellock_set& s) {
  hchan* prev = nullptr;
  for (int i = 0; i < s.n; ++i) {
    hchan* c = s.cases[s.lockorder[i]].c;
    if (c != prev) c->lock.lock();
    prev = c;
  }
}

// selunlock: unlock in reverse order. Once the first channel (lockorder[0]) is unlocked, the G
// may already be running again (readied by another channel) and return from selectgo, freeing
// *arg and the arrays: so read nothing after that last unlock, as select.go's selunlock warns.
void selunlock(void* arg) noexcept {
  const sellock_set* s = static_cast<const sellock_set*>(arg);
  scase* cases = s->cases;
  const uint16_t* lockorder = s->lockorder;
  for (int i = s->n - 1; i >= 0; --i) {
    hchan* c = cases[lockorder[i]].c;
    if (i > 0 && c == cases[lockorder[i - 1]].c) continue;  // unlock a duplicate only once
    c->lock.unlock();
  }
}

sudog* sg_of(scase& sc) { return reinterpret_cast<sudog*>(sc.sudog_space); }

}  // namespace

int selectgo(scase* cases, uint16_t* order, int n, bool block, bool* recv_ok) {
  *recv_ok = false;
  if (n == 0 && block) {
    if (current_g() == nullptr) sync_fatal("select with no cases outside a goroutine");
    park(GORO_WAIT_SELECT_NO_CASES, nullptr, nullptr);
    sync_fatal("unreachable: a G in select (no cases) was readied");
  }
  uint16_t* pollorder = order;
  uint16_t* lockorder = order + n;
  int norder = 0;
  for (int i = 0; i < n; ++i) {
    if (cases[i].c == nullptr) continue;
    uint32_t j = fastrandn(static_cast<uint32_t>(norder + 1));
    pollorder[norder] = pollorder[j];
    pollorder[j] = static_cast<uint16_t>(i);
    ++norder;
  }
  std::copy(pollorder, pollorder + norder, lockorder);
  std::sort(lockorder, lockorder + norder, [&](uint16_t a, uint16_t b) { return cases[a].c < cases[b].c; });

  if (norder == 0) {
    if (!block) return -1;
    if (current_g() == nullptr) sync_fatal("select on nil channels outside a goroutine");
    park(GORO_WAIT_SELECT, nullptr, nullptr);  // only nil channels: nothing can ever wake it
    sync_fatal("unreachable: a G in select on nil channels was readied");
  }

  sellock_set locks{cases, lockorder, norder};
  sellock(locks);

  // Pass 1: look for a case that can proceed now.
  for (int k = 0; k < norder; ++k) {
    int i = pollorder[k];
    scase& sc = cases[i];
    hchan* c = sc.c;
    if (sc.is_send) {
      if (c->closed.load(std::memory_order_relaxed) != 0) {
        selunlock(&locks);
        sync_panic("send on closed channel");
      }
      if (sudog* s = c->recvq.dequeue()) {
        G* g = send_to(c, s, sc.elem);
        selunlock(&locks);
        ready(g);
        return i;
      }
      if (c->qcount.load(std::memory_order_relaxed) < c->dataqsiz) {
        buf_send(c, sc.elem);
        selunlock(&locks);
        return i;
      }
    } else {
      if (sudog* s = c->sendq.dequeue()) {
        G* g = recv_from(c, s, sc.elem);
        selunlock(&locks);
        ready(g);
        *recv_ok = true;
        return i;
      }
      if (c->qcount.load(std::memory_order_relaxed) > 0) {
        buf_recv(c, sc.elem);
        selunlock(&locks);
        *recv_ok = true;
        return i;
      }
      if (c->closed.load(std::memory_order_relaxed) != 0) {
        selunlock(&locks);
        return i;
      }
    }
  }
  if (!block) {
    selunlock(&locks);
    return -1;
  }

  // Pass 2: enqueue on every channel and park.
  G* g = current_g();
  if (g == nullptr) {
    selunlock(&locks);
    sync_fatal("blocking select outside a goroutine (add on_default, or call it inside goro::run)");
  }
  selstate st;
  for (int k = 0; k < norder; ++k) {
    scase& sc = cases[lockorder[k]];
    sudog* s = ::new (sc.sudog_space) sudog;
    s->g = g;
    s->elem = sc.elem;
    s->c = sc.c;
    s->sel = &st;
    (sc.is_send ? sc.c->sendq : sc.c->recvq).enqueue(s);
  }
  park(GORO_WAIT_SELECT, &selunlock, &locks);

  // Pass 3: dequeue from the channels that did not fire.
  sellock(locks);
  sudog* won = st.winner;
  int chosen = -1;
  for (int k = 0; k < norder; ++k) {
    int i = lockorder[k];
    scase& sc = cases[i];
    sudog* s = sg_of(sc);
    if (s == won) chosen = i;
    else (sc.is_send ? sc.c->sendq : sc.c->recvq).remove(s);
  }
  selunlock(&locks);
  if (chosen < 0) sync_fatal("selectgo: woken without a winning case");
  if (cases[chosen].is_send) {
    if (!won->success) sync_panic("send on closed channel");
  } else {
    *recv_ok = won->success;
  }
  return chosen;
}

}  // namespace goro::detail
