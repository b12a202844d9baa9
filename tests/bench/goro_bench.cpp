// goro_bench.cpp: goro's costs beside their anchors measured in the same run: Go 1.19
// (BUILD/go/goanchor, built by tests/bench/go-anchors; GOMAXPROCS=1) and Boost.Fiber /
// boost.context (BUILD/bench/boost_fiber_bench --json). Each goro figure prints with the ratio
// goro/anchor (below 1 is faster or smaller) and the goal.
//   yield            2 Gs yielding to each other on 1 P, per switch
//   chan round trip  unbuffered ping-pong between 2 Gs on 1 P
//   spawn+run+exit   a G that only signals a wait_group, spawned in batches of 1024
//   parked G RSS     VmRSS growth per G parked on a channel (GORO_BENCH_PARKED Gs, default 1M)
//   parked G PTE     VmPTE growth per parked G: the page tables under its stack slot (and guard)
//   park time        wall time to spawn those Gs and have every one parked, beside the floor any
//                    runtime with a private stack page per G pays: one first touch of a fresh page
//                    per G (page faults are ~10x dearer in some VMs than on bare metal)
//   deep G RSS kept  VmRSS growth per G left after 64 Gs each recursed ~170 KiB deep (700 frames of
//                    ~250 bytes; less when the stack is smaller) and then finished
// Then three shapes at 1 and 2 Ps (GORO_MAXPROCS beside GOMAXPROCS), goro and Go interleaved round
// by round, medians of GORO_BENCH_ROUNDS rounds (default 3), each round a warm-up and a measured run:
//   worker pool      64 worker Gs, 1M jobs over a buffered channel of 128, results over another
//   mutex + yield    1000 Gs each taking one mutex 1000 times, yielding inside the critical section
//   park on own chan GORO_BENCH_PARKED Gs each blocked in a receive on its own channel (pre-faulted)
// GORO_BENCH_ONLY=yield|chan|spawn|park|deep|pool|mutex|chanpark runs only that figure and no
// anchors (for perf record); the last three on GORO_BENCH_PROCS Ps (default 2).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "goro/chan.h"
#include "goro/mutex.h"
#include "goro/introspect_abi.h"
#include "goro/runtime.h"
#include "goro/wait_group.h"

namespace {

using Clock = std::chrono::steady_clock;

double since_ns(Clock::time_point t0) { return std::chrono::duration<double, std::nano>(Clock::now() - t0).count(); }

template <class F>
double best_ns(int rounds, F&& f) {
  double best = 0;
  for (int i = 0; i < rounds; ++i) {
    const double ns = f();
    if (i == 0 || ns < best) best = ns;
  }
  return best;
}

// status_bytes() is a "Vm...:" line of /proc/self/status in bytes ("VmRSS:", "VmPTE:").
double status_bytes(const std::string& key) {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind(key, 0) == 0) return std::strtod(line.c_str() + key.size(), nullptr) * 1024;
  return 0;
}
double rss_bytes() { return status_bytes("VmRSS:"); }

// own_desc() is this process's published goro descriptor (zeros outside run() or when unpublished).
goro_abi_desc own_desc() {
  goro_abi_desc d{};
  const std::string path = "/dev/shm" GORO_ABI_SHM_PREFIX + std::to_string(getpid());
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return d;
  if (pread(fd, &d, sizeof d, 0) != ssize_t(sizeof d)) d = goro_abi_desc{};
  close(fd);
  return d;
}

double yield_ns(int n) {
  return best_ns(5, [n] {
           goro::wait_group wg;
           wg.add(2);
           const auto t0 = Clock::now();
           for (int g = 0; g < 2; ++g)
             goro::go([&wg, n] {
               for (int i = 0; i < n; ++i) goro::yield();
               wg.done();
             });
           wg.wait();
           return since_ns(t0);
         }) / (2.0 * n);
}

double chan_ns(int n) {
  return best_ns(5, [n] {
           goro::chan<int> ping, pong;
           goro::go([ping, pong]() mutable {
             while (auto v = ping.recv()) pong.send(*v);
           });
           const auto t0 = Clock::now();
           for (int i = 0; i < n; ++i) {
             ping.send(i);
             pong.recv();
           }
           const double ns = since_ns(t0);
           ping.close();
           return ns;
         }) / n;
}

double spawn_ns(int n) {
  return best_ns(5, [n] {
           goro::wait_group wg;
           const auto t0 = Clock::now();
           for (int i = 0; i < n; ++i) {
             wg.add(1);
             goro::go([&wg] { wg.done(); });
             if (i % 1024 == 1023) wg.wait();
           }
           wg.wait();
           return since_ns(t0);
         }) / n;
}

struct Parked {
  double ms = 0, bytes_per_g = 0, pte_per_g = 0;
};

Parked parked(int n) {
  Parked r;
  goro::chan<int> block;
  goro::wait_group wg;
  wg.add(n);
  const double before = rss_bytes(), pte_before = status_bytes("VmPTE:");
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i)
    goro::go([&wg, block]() mutable {
      wg.done();
      block.recv();
    });
  wg.wait();
  goro::yield();  // the last ones reach recv()
  r.ms = since_ns(t0) / 1e6;
  r.bytes_per_g = (rss_bytes() - before) / n;
  r.pte_per_g = (status_bytes("VmPTE:") - pte_before) / n;
  block.close();
  return r;
}

// deep() recurses n frames of about 250 bytes (the same shape as goanchor's deep), waits at the
// bottom until `release` closes, and returns.
__attribute__((noinline)) int deep(int n, goro::wait_group& arrived, goro::chan<int>& release) {
  volatile char pad[200];
  pad[n % 200] = char(n);
  if (n == 0) {
    arrived.done();
    release.recv();
    return pad[0];
  }
  return deep(n - 1, arrived, release) + pad[n % 200];
}

// deep_kept() is the VmRSS growth per G that stays after 64 Gs each recursed `levels` frames deep
// (all at the bottom at once, so they hold 64 different stacks) and then finished.
double deep_kept(int levels) {
  constexpr int kGs = 64;
  goro::wait_group arrived, done;
  goro::chan<int> release;
  arrived.add(kGs);
  done.add(kGs);
  const double before = rss_bytes();
  for (int i = 0; i < kGs; ++i)
    goro::go([&, levels] {
      deep(levels, arrived, release);
      done.done();
    });
  arrived.wait();
  release.close();
  done.wait();
  goro::sleep_for(std::chrono::milliseconds(1));  // every one has exited, not only signalled
  return (rss_bytes() - before) / kGs;
}

// deep_levels() is how many ~250-byte frames deep_kept() recurses: 700 (about 170 KiB), fewer when
// the runtime's stack is smaller (GORO_STACK_SIZE), leaving it a quarter free.
int deep_levels() {
  const goro_abi_desc d = own_desc();
  if (!d.stack_size) return 0;
  return std::min<int>(700, int(d.stack_size * 3 / 4 / 256));
}

// first_touch_ns() is the cost of faulting in one fresh page every `stride` bytes (a parked G's
// top stack page), per page, over n pages.
double first_touch_ns(int n, size_t stride) {
  void* a = mmap(nullptr, size_t(n) * stride, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (a == MAP_FAILED) return 0;
  auto* p = static_cast<volatile char*>(a);
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) p[size_t(i) * stride + stride - 64] = 1;
  const double ns = since_ns(t0) / n;
  munmap(a, size_t(n) * stride);
  return ns;
}

// ---- shapes with more than one P (issue 9): each returns one round's wall time in ms, after one
// warm-up round in the same run() (so stacks, pools and channel memory are already faulted in).
// The same programs are goanchor's pool, mutex and chanpark.

// pool_ms(): 64 worker Gs read `jobs` small jobs from a buffered channel of 128 and send each
// result back over a second one; a producer G feeds the jobs, the main G sums the results.
double pool_ms(int jobs) {
  constexpr int kWorkers = 64;
  goro::chan<int> in(128), out(128);
  for (int w = 0; w < kWorkers; ++w)
    goro::go([in, out] {
      while (auto j = in.recv()) out.send(*j * 2 + 1);
    });
  const auto t0 = Clock::now();
  goro::go([in, jobs] {
    for (int i = 0; i < jobs; ++i) in.send(i);
  });
  long long sum = 0;
  for (int i = 0; i < jobs; ++i) sum += *out.recv();
  const double ms = since_ns(t0) / 1e6;
  in.close();
  if (sum != (long long)jobs * jobs) std::fprintf(stderr, "pool: wrong sum %lld\n", sum);
  return ms;
}

// mutex_ms(): `gs` Gs each take one mutex `iters` times and yield inside the critical section.
double mutex_ms(int gs, int iters) {
  goro::mutex mu;
  goro::wait_group wg;
  long long counter = 0;
  wg.add(gs);
  const auto t0 = Clock::now();
  for (int g = 0; g < gs; ++g)
    goro::go([&, iters] {
      for (int i = 0; i < iters; ++i) {
        mu.lock();
        ++counter;
        goro::yield();
        mu.unlock();
      }
      wg.done();
    });
  wg.wait();
  const double ms = since_ns(t0) / 1e6;
  if (counter != (long long)gs * iters) std::fprintf(stderr, "mutex: wrong count %lld\n", counter);
  return ms;
}

// chanpark_ms(): spawn n Gs, each blocked in a receive on its own channel; the time until every
// one has started and is about to park (then all are released and have exited).
double chanpark_ms(int n) {
  std::vector<goro::chan<int>> cs(size_t(n), goro::chan<int>(nullptr));
  for (auto& c : cs) c = goro::chan<int>();
  goro::wait_group started, exited;
  started.add(n);
  exited.add(n);
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i)
    goro::go([&started, &exited, c = cs[size_t(i)]] {
      started.done();
      c.recv();
      exited.done();
    });
  started.wait();
  goro::yield();  // the last ones reach recv()
  const double ms = since_ns(t0) / 1e6;
  for (auto& c : cs) c.close();
  exited.wait();
  return ms;
}

// shape_ms() runs one shape on `procs` Ps in its own run(): a warm-up round, then the measured one.
double shape_ms(const std::string& shape, int procs, int parked_n) {
  setenv("GORO_MAXPROCS", std::to_string(procs).c_str(), 1);
  double ms = 0;
  goro::run([&] {
    auto once = [&] {
      if (shape == "pool") return pool_ms(1000000);
      if (shape == "mutex") return mutex_ms(1000, 1000);
      return chanpark_ms(parked_n);
    };
    once();
    ms = once();
  });
  setenv("GORO_MAXPROCS", "1", 1);
  return ms;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string exe_dir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<size_t>(n));
  return p.substr(0, p.rfind('/'));
}

// anchors() runs `cmd` and collects its {"bench","value"} lines; empty when it cannot run.
std::map<std::string, double> anchors(const std::string& cmd) {
  std::map<std::string, double> m;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return m;
  char line[512];
  while (std::fgets(line, sizeof line, p)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("bench") && j.contains("value")) m[j["bench"]] = j["value"];
  }
  pclose(p);
  return m;
}

bool executable(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && (st.st_mode & S_IXUSR);
}

std::string cell(const std::map<std::string, double>& a, const char* key, double goro) {
  const auto it = a.find(key);
  if (it == a.end() || it->second <= 0) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f (%.2fx)", it->second, goro / it->second);
  return buf;
}

}  // namespace

int main() {
  setenv("GORO_MAXPROCS", "1", 1);  // the single-P figures, like GOMAXPROCS=1
  const char* env_n = std::getenv("GORO_BENCH_PARKED");
  const int parked_n = env_n && std::atoi(env_n) > 0 ? std::atoi(env_n) : 1000000;
  double y = 0, c = 0, s = 0, kept = 0;
  int levels = 0;
  uint64_t slot = 0, stack_kib = 0;
  Parked pk;
  if (const char* only = std::getenv("GORO_BENCH_ONLY")) {
    const std::string o = only;
    if (o == "pool" || o == "mutex" || o == "chanpark") {
      const char* ps = std::getenv("GORO_BENCH_PROCS");
      const int procs = ps && std::atoi(ps) > 0 ? std::atoi(ps) : 2;
      std::printf("%s on %d Ps ms %.1f\n", only, procs, shape_ms(o, procs, parked_n));
      return 0;
    }
    goro::run([&] {
      if (o == "yield") std::printf("yield ns/switch %.1f\n", yield_ns(1000000));
      else if (o == "chan") std::printf("chan round trip ns %.1f\n", chan_ns(500000));
      else if (o == "spawn") std::printf("spawn+run+exit ns %.1f\n", spawn_ns(200000));
      else if (o == "park")
        pk = parked(parked_n), std::printf("park %d Gs ms %.1f, %.0f B/G RSS, %.0f B/G page tables\n", parked_n, pk.ms,
                                           pk.bytes_per_g, pk.pte_per_g);
      else if (o == "deep") std::printf("deep G RSS kept bytes %.0f (%d frames)\n", deep_kept(deep_levels()), deep_levels());
      else std::fprintf(stderr, "GORO_BENCH_ONLY: unknown figure %s (yield, chan, spawn, park, deep, pool, mutex or chanpark)\n", only);
    });
    return 0;
  }
  goro::run([&] {
    y = yield_ns(1000000);
    c = chan_ns(500000);
    s = spawn_ns(200000);
    levels = deep_levels();
    kept = deep_kept(levels);
  });
  goro::run([&] {
    const goro_abi_desc d = own_desc();
    slot = d.slot_size, stack_kib = d.stack_size >> 10;
    pk = parked(parked_n);
  });

  const std::string dir = exe_dir();
  const std::string go = dir + "/../go/goanchor";
  std::map<std::string, double> g;
  if (executable(go)) {
    for (const char* b : {"yield", "chan", "spawn"})
      for (auto& [k, v] : anchors("GOMAXPROCS=1 '" + go + "' " + b)) g[k] = v;
    for (auto& [k, v] : anchors("GOMAXPROCS=1 '" + go + "' parked " + std::to_string(parked_n))) g[k] = v;
    for (auto& [k, v] : anchors("GOMAXPROCS=1 '" + go + "' deep " + std::to_string(levels))) g[k] = v;
  }
  const std::string boost = dir + "/boost_fiber_bench";
  const auto bf = executable(boost) ? anchors("'" + boost + "' --json") : std::map<std::string, double>{};

  std::printf("goro vs anchors measured in this run (ratio = goro/anchor; GORO_MAXPROCS=GOMAXPROCS=1)\n");
  std::printf("%-28s %10s  %-20s %-20s %s\n", "figure", "goro", "Go 1.19", "Boost.Fiber", "goal");
  std::printf("%-28s %10.1f  %-20s %-20s %s\n", "yield ns/switch", y, cell(g, "yield", y).c_str(),
              cell(bf, "yield", y).c_str(), "<= 10");
  std::printf("%-28s %10.1f  %-20s %-20s %s\n", "chan round trip ns", c, cell(g, "chan", c).c_str(), "-", "<= 50");
  std::printf("%-28s %10.1f  %-20s %-20s %s\n", "spawn+run+exit ns", s, cell(g, "spawn", s).c_str(),
              cell(bf, "spawn", s).c_str(), "<= 50");
  std::printf("%-28s %10.0f  %-20s %-20s %s\n", "parked G RSS bytes", pk.bytes_per_g,
              cell(g, "parked_rss", pk.bytes_per_g).c_str(), "-", "<= 4608");
  std::printf("%-28s %10.0f  %-20s %-20s %s\n", "parked G page-table bytes", pk.pte_per_g,
              cell(g, "parked_pte", pk.pte_per_g).c_str(), "-", "-");
  char park_label[64];
  std::snprintf(park_label, sizeof park_label, "park %d Gs ms", parked_n);
  std::printf("%-28s %10.1f  %-20s %-20s %s\n", park_label, pk.ms, cell(g, "park_time", pk.ms).c_str(), "-",
              parked_n == 1000000 ? "< 1000" : "(goal is for 1M)");
  std::printf("%-28s %10.0f  %-20s %-20s %s\n", "deep G RSS kept bytes", kept, cell(g, "deep_kept", kept).c_str(), "-",
              "<= 40960");
  std::printf("(deep: 64 Gs, %d frames of ~250 bytes each, finished; goro stack %u KiB, slot %llu KiB)\n", levels,
              unsigned(stack_kib), (unsigned long long)(slot >> 10));
  if (!slot) slot = 32 << 10;
  const double touch = first_touch_ns(std::min(parked_n, 100000), slot);
  std::printf("page first-touch floor: %.0f ns per fresh page (one per %llu KiB, like goro's slots); parking costs %.0f "
              "ns per G = %.2fx that\n", touch, (unsigned long long)(slot >> 10), pk.ms * 1e6 / parked_n,
              touch > 0 ? pk.ms * 1e6 / parked_n / touch : 0.0);
  if (bf.count("context") && bf.at("context") > 0)
    std::printf("boost.context raw switch: %.1f ns; goro's yield costs %.2fx a raw switch (it also runs the scheduler)\n",
                bf.at("context"), y / bf.at("context"));

  // The shapes with more than one P, goro and Go interleaved round by round.
  const char* env_r = std::getenv("GORO_BENCH_ROUNDS");
  const int rounds = env_r && std::atoi(env_r) > 0 ? std::atoi(env_r) : 3;
  struct Shape {
    const char* key;
    std::string label;
  };
  const Shape shapes[] = {{"pool", "worker pool 1M jobs ms"},
                          {"mutex", "mutex+yield 1000x1000 ms"},
                          {"chanpark", "park " + std::to_string(parked_n) + " on own chan ms"}};
  double load0[3] = {}, load1[3] = {};
  getloadavg(load0, 3);
  std::map<std::string, std::vector<double>> gv, av;  // key + procs -> rounds
  for (int r = 0; r < rounds; ++r)
    for (const Shape& sh : shapes)
      for (int procs : {1, 2}) {
        const std::string k = sh.key + std::to_string(procs);
        gv[k].push_back(shape_ms(sh.key, procs, parked_n));
        if (!executable(go)) continue;
        const std::string arg = std::string(sh.key) + (std::string(sh.key) == "chanpark" ? " " + std::to_string(parked_n) : "");
        for (auto& [bk, v] : anchors("GOMAXPROCS=" + std::to_string(procs) + " '" + go + "' " + arg))
          if (bk == sh.key) av[k].push_back(v);
      }
  getloadavg(load1, 3);
  std::printf("\nshapes at 1 and 2 Ps (GORO_MAXPROCS = GOMAXPROCS = Ps), medians of %d rounds, goro and Go "
              "interleaved; load average %.1f before, %.1f after\n", rounds, load0[0], load1[0]);
  std::printf("%-28s %3s %10s  %-20s %s\n", "figure", "Ps", "goro", "Go 1.19", "goal");
  for (const Shape& sh : shapes)
    for (int procs : {1, 2}) {
      const std::string k = sh.key + std::to_string(procs);
      const double gm = median(gv[k]);
      std::map<std::string, double> a;
      if (!av[k].empty()) a[sh.key] = median(av[k]);
      std::printf("%-28s %3d %10.1f  %-20s %s\n", sh.label.c_str(), procs, gm, cell(a, sh.key, gm).c_str(),
                  procs == 2 ? "<= Go" : "-");
    }
  if (g.empty()) std::printf("(Go anchors missing: %s not built; run tests/bench/go-anchors)\n", go.c_str());
  if (bf.empty()) std::printf("(Boost anchors missing: %s not built)\n", boost.c_str());
  return 0;
}
