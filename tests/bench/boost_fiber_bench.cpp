// boost_fiber_bench.cpp: Boost.Fiber and raw boost.context anchors for goro_bench: fiber yield,
// fiber spawn+join, and one boost.context switch. `--json` prints one JSON line per figure (what
// goro_bench reads); without it, a readable line per figure, each beside the raw context switch.
#include <boost/context/fiber.hpp>
#include <boost/fiber/all.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace {

using Clock = std::chrono::steady_clock;

template <class F>
double best_ns(int rounds, F&& f) {
  double best = 0;
  for (int i = 0; i < rounds; ++i) {
    const auto t0 = Clock::now();
    f();
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    if (i == 0 || ns < best) best = ns;
  }
  return best;
}

// yield_ns: two fibers on one thread yielding to each other; time per switch.
double yield_ns(int n) {
  return best_ns(5, [n] {
           auto body = [n] { for (int i = 0; i < n; ++i) boost::this_fiber::yield(); };
           boost::fibers::fiber a(body), b(body);
           a.join();
           b.join();
         }) / (2.0 * n);
}

// spawn_ns: create a fiber that does nothing and join it.
double spawn_ns(int n) {
  return best_ns(5, [n] {
           for (int i = 0; i < n; ++i) boost::fibers::fiber([] {}).join();
         }) / n;
}

// context_ns: one raw boost.context switch (a resume there and back is two).
double context_ns(int n) {
  namespace ctx = boost::context;
  return best_ns(5, [n] {
           ctx::fiber f{[](ctx::fiber&& sink) {
             for (;;) sink = std::move(sink).resume();
             return std::move(sink);
           }};
           for (int i = 0; i < n; ++i) f = std::move(f).resume();
         }) / (2.0 * n);
}

}  // namespace

int main(int argc, char** argv) {
  const bool json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  const double y = yield_ns(1000000), s = spawn_ns(200000), c = context_ns(5000000);
  if (json) {
    std::printf("{\"bench\":\"yield\",\"value\":%.3f,\"unit\":\"ns/switch\"}\n", y);
    std::printf("{\"bench\":\"spawn\",\"value\":%.3f,\"unit\":\"ns/fiber\"}\n", s);
    std::printf("{\"bench\":\"context\",\"value\":%.3f,\"unit\":\"ns/switch\"}\n", c);
    return 0;
  }
  std::printf("boost.context raw switch  %8.1f ns   (the anchor below)\n", c);
  std::printf("Boost.Fiber yield         %8.1f ns/switch  = %.1fx a raw context switch\n", y, y / c);
  std::printf("Boost.Fiber spawn+join    %8.1f ns/fiber   = %.1fx a raw context switch\n", s, s / c);
  std::printf("(goro_bench prints these beside goro's figures; known here when quiet: yield 56, spawn+join 296, switch 5.4 ns)\n");
  return 0;
}
