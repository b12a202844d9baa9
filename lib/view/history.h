// history.h: History, a fixed-capacity ring of samples: what top's graphs draw. Its memory is
// fixed at construction, so hours of refreshes never grow it.
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

namespace ts::view {

// History keeps the newest `capacity` samples of one series, oldest first.
class History {
 public:
  // History() holds up to `capacity` samples (at least 1).
  explicit History(size_t capacity) : ring_(capacity ? capacity : 1) {}

  // push() appends a sample, dropping the oldest when full.
  void push(double v) {
    ring_[head_] = v;
    head_ = (head_ + 1) % ring_.size();
    if (size_ < ring_.size()) size_++;
  }
  // size() is how many samples it holds.
  size_t size() const { return size_; }
  // capacity() is how many samples it can hold.
  size_t capacity() const { return ring_.size(); }
  // empty() tells whether no sample was pushed.
  bool empty() const { return size_ == 0; }
  // back() is the newest sample; 0 when empty.
  double back() const { return size_ ? ring_[(head_ + ring_.size() - 1) % ring_.size()] : 0; }
  // values() copies the samples out, oldest first (what render_chart takes).
  std::vector<double> values() const {
    std::vector<double> out;
    out.reserve(size_);
    for (size_t i = 0; i < size_; i++) out.push_back(ring_[(head_ + ring_.size() - size_ + i) % ring_.size()]);
    return out;
  }
  // max() is the largest sample held; 0 when empty (a chart's auto scale).
  double max() const {
    double m = 0;
    for (size_t i = 0; i < size_; i++) m = std::max(m, ring_[(head_ + ring_.size() - size_ + i) % ring_.size()]);
    return m;
  }

 private:
  std::vector<double> ring_;
  size_t head_ = 0;  // where the next sample goes
  size_t size_ = 0;
};

}  // namespace ts::view
