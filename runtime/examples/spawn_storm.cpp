// spawn_storm: keeps many goroutines parked (default 100000) until told to exit, to look at
// goro's per-G cost and its published G table.
//
//   build/rel/examples/spawn_storm [N]
//
// Spawns N Gs: a third park in "chan receive", a third in "sync.WaitGroup.Wait", a third in
// "select". Prints one JSON line (pid, counts, the time to spawn and park them all, RSS), then
// waits for stdin to reach end of file, releases every G, waits for them to exit and prints the
// total. Things to watch meanwhile:
//   taskscope gmp PID                the Ps and Ms, and N Gs in their wait states
//   grep VmRSS /proc/PID/status      the memory N parked Gs cost
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>

#include "goro/goro.h"

namespace {

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  long n = argc > 1 ? strtol(argv[1], nullptr, 10) : 100000;
  if (n <= 0 || n > 10'000'000) {
    fprintf(stderr, "spawn_storm: N must be 1..10000000\n");
    return 2;
  }
  return goro::run([&] {
    goro::chan<int> quit;      // closed to release the "chan receive" third
    goro::chan<int> never;     // nobody sends: the "select" third waits on it and on quit
    goro::wait_group release;  // done() once to release the "sync.WaitGroup.Wait" third
    goro::wait_group parked, exited;
    release.add(1);
    long counts[3] = {0, 0, 0};
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
      int kind = static_cast<int>(i % 3);
      ++counts[kind];
      parked.add(1);
      exited.add(1);
      goro::go([&, kind] {
        parked.done();
        if (kind == 0) quit.recv();
        else if (kind == 1) release.wait();
        else goro::select(goro::on_recv(quit), goro::on_recv(never));
        exited.done();
      });
    }
    parked.wait();
    goro::yield();  // let the last ones reach their wait
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    printf("{\"pid\":%d,\"goroutines\":%ld,\"chan_receive\":%ld,\"waitgroup_wait\":%ld,\"select\":%ld,"
           "\"spawn_ms\":%.1f,\"rss_kib\":%ld}\n",
           getpid(), n, counts[0], counts[1], counts[2], ms, rss_kib());
    fflush(stdout);
    char b[256];
    while (goro::syscall([&] { return ::read(0, b, sizeof b); }) > 0) {
    }
    quit.close();
    release.done();
    exited.wait();
    printf("spawn_storm: all %ld goroutines exited\n", n);
  });
}
