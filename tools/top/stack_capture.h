// stack_capture.h: StackCapture, the dumps of top's stack pane (s) taken on a thread of their own,
// so that the UI keeps answering keys while a large process's stacks are captured and symbolized.
#pragma once
#include <memory>
#include <thread>
#include <vector>

#include "view/stack_pane.h"

namespace ts::tools::top {

// take_stack_view() takes target's stacks now (lib/stack take_dump(), all threads for a process
// row, only that thread for an LWP row) and returns them as `taskscope stack PID [-t TID]` prints
// them, its notes last; a dump that cannot be taken (not permitted, pid gone) gives one error line.
view::StackView take_stack_view(const view::RowId& target);

// StackCapture runs take_stack_view() off the calling thread, one dump at a time.
class StackCapture {
 public:
  // StackCapture() makes the descriptor the UI polls. Throws ts::Error when it cannot.
  StackCapture();
  // ~StackCapture() waits for the dump's thread, at most 2 s for one still running; one that takes
  // longer is left to end on its own (a dump cannot be interrupted, and quitting must not hang).
  ~StackCapture();
  StackCapture(const StackCapture&) = delete;
  StackCapture& operator=(const StackCapture&) = delete;

  // start() begins a dump of `target`; false (nothing started) while another is under way.
  bool start(const view::RowId& target);
  // busy() tells whether a dump is under way.
  bool busy() const;
  // fd() is readable once a dump finished and take() has its result.
  int fd() const;
  // take() moves a finished dump into `v` (name and target kept) and returns true; false when
  // none finished since the last take().
  bool take(view::StackView& v);

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::thread worker_;
};

}  // namespace ts::tools::top
