// conn_pool_test.cpp: ConnPool starts workers while all are busy (a silent connection never queues
// the next one), up to its bound, and lets extra workers end when work stops.
#include "export/conn_pool.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

using namespace std::chrono_literals;
using ts::exporter::ConnPool;

namespace {

// Gate holds jobs until opened.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return open; });
  }
  void release() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

bool eventually(const std::function<bool()>& ok) {
  for (int i = 0; i < 500 && !ok(); ++i) std::this_thread::sleep_for(10ms);
  return ok();
}

}  // namespace

TEST_CASE("a pool whose workers are all held runs a new job at once, up to its bound", "[export][pool]") {
  Gate gate;
  std::atomic<int> running{0}, done{0};
  {
    ConnPool pool(2, 12);
    // Ten jobs that hold their worker (idle keep-alive connections), then one more (a scrape): it
    // runs while they still wait, on a worker started for it.
    for (int i = 0; i < 10; ++i) pool.enqueue([&] { ++running, gate.wait(), ++done; });
    std::atomic<bool> scraped{false};
    pool.enqueue([&] { scraped = true, ++done; });
    CHECK(eventually([&] { return scraped.load(); }));
    CHECK(running == 10);
    // At the bound, 12 workers, the next jobs wait for one to end.
    for (int i = 0; i < 10; ++i) pool.enqueue([&] { ++running, gate.wait(), ++done; });
    std::atomic<bool> late{false};
    pool.enqueue([&] { late = true, ++done; });
    CHECK(eventually([&] { return running == 12; }));
    std::this_thread::sleep_for(100ms);
    CHECK(running == 12);
    CHECK(!late);
    CHECK(pool.peak() == 12);
    gate.release();
    CHECK(eventually([&] { return late.load(); }));
    // Extra workers end after a second without work; the core stays.
    CHECK(eventually([&] { return pool.workers() == 2; }));
  }
  CHECK(done == 22);
}
