// conn_pool.cpp: core workers, extra ones while they are all busy (detached; counted, so shutdown
// waits for them).
#include "export/conn_pool.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace ts::exporter {

ConnPool::ConnPool(size_t core, size_t max) : core_(std::max<size_t>(core, 1)), max_(std::max(max, std::max<size_t>(core, 1))) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < core_; ++i) {
    ++threads_;
    std::thread([this] { work(false); }).detach();
  }
  peak_ = threads_;
}

ConnPool::~ConnPool() { shutdown(); }

void ConnPool::enqueue(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  jobs_.push_back(std::move(fn));
  if (idle_ < jobs_.size() && threads_ < max_ && !stop_) {
    ++threads_;
    peak_ = std::max(peak_, threads_);
    std::thread([this] { work(true); }).detach();
  } else {
    cv_.notify_one();
  }
}

void ConnPool::work(bool extra) {
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_;
    const bool woke = cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty() && (stop_ || (extra && !woke))) break;
    if (jobs_.empty()) continue;
    std::function<void()> fn = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    fn();
    lock.lock();
  }
  if (--threads_ == 0) ended_.notify_all();
}

void ConnPool::shutdown() {
  std::unique_lock lock(mu_);
  stop_ = true;
  cv_.notify_all();
  ended_.wait(lock, [&] { return threads_ == 0; });
}

size_t ConnPool::workers() const {
  std::lock_guard lock(mu_);
  return threads_;
}

size_t ConnPool::peak() const {
  std::lock_guard lock(mu_);
  return peak_;
}

}  // namespace ts::exporter
