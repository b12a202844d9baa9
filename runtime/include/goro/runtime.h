// runtime.h: the goro core API: start the runtime, spawn goroutines, yield, sleep.
//
//   int main() {
//     return goro::run([] {
//       goro::go([] { std::puts("hello from a goroutine"); });
//       goro::yield();
//     });
//   }
//
// Knobs (read once at run()): GORO_MAXPROCS (number of Ps; default: CPUs in the process's affinity
// mask), GORO_STACK_SIZE (bytes per G stack, rounded up to pages; default 128 KiB, 512 KiB under
// the sanitizers), GORO_DEBUG=schedtrace=MS,scheddetail=1 (Go's scheduler trace on stderr).
// Scheduling is cooperative: a G runs until it yields, parks (channel, mutex, sleep, IO) or exits.
//
// Stacks. A G's stack is fixed (C++ frames cannot be moved): GORO_STACK_SIZE of address space, of
// which a G pays only the pages it touches (a parked G typically one); what it touched below its
// top 32 KiB is given back when it finishes (runtime/HACKING.md says how). Below every stack lies a 64 KiB guard gap. A G that
// runs off its stack dies with "goro: stack overflow in goroutine N (stack [lo,hi))" and never
// writes into another G's stack, provided no frame (locals, alloca, a variable-length array)
// larger than 64 KiB runs on a G without stack-clash probes: build code that may have such
// frames with -fstack-clash-protection (g++ and clang++), as goro itself is built. Without
// probes, such a frame can step over the gap into the stack below, silently.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <chrono>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

namespace goro {

// run() starts the runtime with GORO_MAXPROCS Ps, runs main_fn as the main G (goid 1) and returns 0
// when main_fn returns; Gs still alive then are abandoned, as Go abandons them when main returns.
// Publishes the G/M/P state in /dev/shm/goro.<pid> while it runs. One run() at a time per process;
// it may be called again after it returned. When every G is blocked and nothing can wake them it
// prints "fatal error: all goroutines are asleep - deadlock!" and the G dump, and exits 2.
int run(std::function<void()> main_fn);

// yield() lets the other runnable Gs run and puts the calling G at the back of its P's queue
// (Go's runtime.Gosched). Returns at once when nothing else is runnable. From a non-G thread it
// yields the thread (sched_yield).
void yield();

// sleep_for() parks the calling G for at least d (wait reason "sleep"); d <= 0 yields.
// From a non-G thread it sleeps the thread.
void sleep_for(std::chrono::nanoseconds d);

// self_id() is the calling G's id (1 for the main G); 0 when not called from a G.
uint64_t self_id();

// gomaxprocs() is the number of Ps of the running runtime (0 when none runs).
int gomaxprocs();

namespace detail {
struct G;
// g_alloc() takes a G (with its stack) from the P's pool and returns it with *closure pointing at
// `size` bytes aligned to `align` at the top of its stack. Must be called from a G.
G* g_alloc(size_t size, size_t align, void** closure);
// g_start() makes g runnable: it will call entry(closure). start_pc names the function for
// symbolizers; the creation site is the caller's return address.
void g_start(G* g, void (*entry)(void*), void* closure, const void* start_pc);

template <class Fn>
void g_trampoline(void* p) noexcept {
  Fn* fn = static_cast<Fn*>(p);
  (*fn)();
  fn->~Fn();
}
}  // namespace detail

// go() spawns a G running fn (moved or copied onto the new G's stack: no heap allocation).
// The new G goes to the caller's runnext, like Go's newproc. Must be called from a G (inside run()).
// An exception escaping fn terminates the process (std::terminate), as a panic would.
template <class F>
[[gnu::always_inline]] inline void go(F&& fn) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_v<Fn&>, "goro::go needs a callable taking no arguments");
  void* mem;
  detail::G* g = detail::g_alloc(sizeof(Fn), alignof(Fn), &mem);
  ::new (mem) Fn(std::forward<F>(fn));
  detail::g_start(g, &detail::g_trampoline<Fn>, mem, reinterpret_cast<const void*>(&detail::g_trampoline<Fn>));
}

}  // namespace goro
