// select.h: goro::select, Go's select statement over channel cases.
//
//   goro::select(
//       goro::on_recv(jobs, [&](std::optional<Job> j) { if (j) run(*j); else done = true; }),
//       goro::on_send(results, r, [&] { ++sent; }),
//       goro::on_recv(goro::after(1s), [&](auto) { timed_out = true; }),
//       goro::on_default([&] { idle(); }));        // optional: without it select parks
//
// Like Go's selectgo: the cases are polled in a random order (so two always-ready cases are chosen
// about equally often), the channels are locked in address order, and when none is ready the G is
// queued on every channel and parks in "select"; the first channel to fire wins and the G dequeues
// itself from the others. Nil channels never fire; select() with no cases parks forever
// ("select (no cases)"). The wait records live on the caller's stack: no allocation.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <optional>
#include <type_traits>
#include <utility>

#include "goro/chan.h"

namespace goro {

namespace detail {

// scase is one channel case handed to selectgo (Go's scase) plus room for its wait record.
struct scase {
  hchan* c;          // nullptr: a nil channel, never chosen
  void* elem;        // send: the value to move from; recv: raw storage to receive into
  bool is_send;
  alignas(8) unsigned char sudog_space[64];
};

// selectgo() runs a select over n cases; order is scratch for 2n indexes. Returns the index of
// the chosen case, or -1 when !block and no case was ready. For a receive, *recv_ok says whether a
// value was received (false: the channel is closed). A send case on a closed channel panics.
int selectgo(scase* cases, uint16_t* order, int n, bool block, bool* recv_ok);

struct noop {
  template <class... A>
  void operator()(A&&...) const noexcept {}
};

}  // namespace detail

// recv_case is a receive case made by on_recv().
template <class T, class F>
struct recv_case {
  detail::hchan* c;
  F fn;
  detail::raw<T> slot;
};
// send_case is a send case made by on_send().
template <class T, class F>
struct send_case {
  detail::hchan* c;
  T v;
  F fn;
};
// default_case is made by on_default().
template <class F>
struct default_case {
  F fn;
};

// on_recv() is a case receiving from c; when chosen, fn(std::optional<T>) gets the value, or empty
// when c is closed and drained.
template <class T, class F = detail::noop>
recv_case<T, std::decay_t<F>> on_recv(const chan<T>& c, F&& fn = {}) {
  return {detail::chan_handle(c), std::forward<F>(fn), {}};
}
// on_send() is a case sending v on c; when chosen, fn() runs. v is consumed only if chosen.
template <class T, class F = detail::noop>
send_case<T, std::decay_t<F>> on_send(const chan<T>& c, T v, F&& fn = {}) {
  return {detail::chan_handle(c), std::move(v), std::forward<F>(fn)};
}
// on_default() is the case taken when no channel case is ready (select then never parks).
template <class F = detail::noop>
default_case<std::decay_t<F>> on_default(F&& fn = {}) {
  return {std::forward<F>(fn)};
}

namespace detail {

template <class C>
struct is_default : std::false_type {};
template <class F>
struct is_default<default_case<F>> : std::true_type {};

template <class T, class F>
void select_fill(recv_case<T, F>& rc, scase* sc, int& k) {
  sc[k++] = scase{rc.c, rc.slot.bytes, false, {}};
}
template <class T, class F>
void select_fill(send_case<T, F>& s, scase* sc, int& k) {
  sc[k++] = scase{s.c, &s.v, true, {}};
}
template <class F>
void select_fill(default_case<F>&, scase*, int&) {}

template <class T, class F>
void select_fire(recv_case<T, F>& rc, int chosen, bool ok, int& k, int& pos, int& result) {
  if (k++ == chosen) {
    result = pos;
    if (ok) rc.fn(std::optional<T>(rc.slot.take()));
    else rc.fn(std::optional<T>());
  }
  ++pos;
}
template <class T, class F>
void select_fire(send_case<T, F>& s, int chosen, bool, int& k, int& pos, int& result) {
  if (k++ == chosen) {
    result = pos;
    s.fn();
  }
  ++pos;
}
template <class F>
void select_fire(default_case<F>& d, int chosen, bool, int&, int& pos, int& result) {
  if (chosen < 0) {
    result = pos;
    d.fn();
  }
  ++pos;
}

}  // namespace detail

// select() waits until one case can proceed, performs it, runs its handler, and returns the
// position of the chosen case among the arguments. With an on_default() case it never waits.
// At most one default case. Must be called from a G unless it has a default case.
template <class... Cases>
int select(Cases&&... cases) {
  constexpr int kDefaults = (0 + ... + (detail::is_default<std::decay_t<Cases>>::value ? 1 : 0));
  constexpr int kN = static_cast<int>(sizeof...(Cases)) - kDefaults;
  static_assert(kDefaults <= 1, "goro::select takes at most one on_default case");
  detail::scase sc[kN > 0 ? kN : 1];
  uint16_t order[kN > 0 ? 2 * kN : 2];
  [[maybe_unused]] int k = 0;
  (detail::select_fill(cases, sc, k), ...);
  bool ok = false;
  [[maybe_unused]] int chosen = detail::selectgo(sc, order, kN, kDefaults == 0, &ok);
  int result = -1;
  [[maybe_unused]] int pos = 0;
  k = 0;
  (detail::select_fire(cases, chosen, ok, k, pos, result), ...);
  return result;
}

}  // namespace goro
