// conn_pool.h: ConnPool, the HTTP server's connection workers (a cpp-httplib TaskQueue). httplib
// 0.11 runs each connection on one worker until the client closes it or its keep-alive wait ends,
// and queues the others without limit: 8 silent clients on a fixed pool of 8 held a scrape for
// their whole timeout. ConnPool keeps `core` workers and, while all of them are busy, starts
// another for a new connection, up to `max` in all; only beyond `max` do connections wait.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace ts::exporter {

// ConnPool runs connection jobs. Thread-safe. Extra workers end after 1 s without work.
class ConnPool {
 public:
  // ConnPool() starts `core` (>= 1) workers; up to `max` (>= core) run at once.
  ConnPool(size_t core, size_t max);
  // ~ConnPool() is shutdown().
  ~ConnPool();
  ConnPool(const ConnPool&) = delete;
  ConnPool& operator=(const ConnPool&) = delete;

  // enqueue() runs `fn` on an idle worker, a new one when none is idle and fewer than `max` run,
  // else on the first that frees up.
  void enqueue(std::function<void()> fn);
  // shutdown() lets queued jobs finish and waits for every worker to end.
  void shutdown();
  // workers() is how many run now; peak() the most that ran at once.
  size_t workers() const;
  size_t peak() const;

 private:
  void work(bool extra);

  const size_t core_, max_;
  mutable std::mutex mu_;
  std::condition_variable cv_, ended_;
  std::deque<std::function<void()>> jobs_;
  size_t threads_ = 0, idle_ = 0, peak_ = 0;
  bool stop_ = false;
};

}  // namespace ts::exporter
