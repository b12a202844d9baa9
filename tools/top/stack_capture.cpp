// stack_capture.cpp: top's stack dumps, taken on a thread of their own.
#include "stack_capture.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <sstream>

#include "model/error.h"
#include "stack/dump.h"
#include "stack/format.h"
#include "sys/clock.h"

namespace ts::tools::top {

namespace {

constexpr int kQuitWaitMs = 2000;  // how long quitting waits for a dump under way

}  // namespace

view::StackView take_stack_view(const view::RowId& target) {
  view::StackView v;
  v.target = target;
  const uint64_t t0 = sys::monotonic_ns();
  try {
    stack::Options opt;
    if (target.tid) opt.tids = {target.tid};
    const stack::Dump d = stack::take_dump(target.pid, opt);
    std::ostringstream text;
    stack::print_text(text, d, stack::PrintOptions{opt.source, true});
    stack::print_notes(text, d);
    if (target.tid && d.threads.empty() && !d.kernel_thread)
      text << "taskscope: thread " << target.tid << " could not be dumped (it ended?)\n";
    std::string line;
    std::istringstream in(text.str());
    while (std::getline(in, line)) v.lines.push_back(line);
  } catch (const std::exception& e) {  // ts::Error: not permitted, gone, a zombie
    const std::string what = e.what();
    v.error = "taskscope: " + what.substr(0, what.find('\n'));
  }
  v.took_ns = sys::monotonic_ns() - t0;
  return v;
}

// Shared is what the UI and a dump's thread both hold: the result and the descriptor that says it
// is there. It outlives a StackCapture whose dump is still running.
struct StackCapture::Shared {
  std::mutex mu;
  bool busy = false;
  bool done = false;
  view::StackView result;
  int efd = -1;
  ~Shared() {
    if (efd >= 0) close(efd);
  }
};

StackCapture::StackCapture() : shared_(std::make_shared<Shared>()) {
  shared_->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (shared_->efd < 0) throw Error(std::string("eventfd: ") + std::strerror(errno));
}

StackCapture::~StackCapture() {
  if (!worker_.joinable()) return;
  // A dump under way at quit gets a moment to end (its thread then leaves nothing behind while
  // the process exits); one that takes longer is left to the exit, which detaches its tracees.
  pollfd p{shared_->efd, POLLIN, 0};
  if (busy()) poll(&p, 1, kQuitWaitMs);
  if (busy()) worker_.detach();
  else worker_.join();
}

bool StackCapture::busy() const {
  std::lock_guard<std::mutex> l(shared_->mu);
  return shared_->busy;
}

int StackCapture::fd() const { return shared_->efd; }

bool StackCapture::start(const view::RowId& target) {
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    if (shared_->busy) return false;
    shared_->busy = true;
    shared_->done = false;
  }
  if (worker_.joinable()) worker_.join();  // the last one has finished: busy was false
  worker_ = std::thread([sh = shared_, target] {
    view::StackView v = take_stack_view(target);
    std::lock_guard<std::mutex> l(sh->mu);
    sh->result = std::move(v);
    sh->done = true;
    sh->busy = false;
    const uint64_t one = 1;
    if (write(sh->efd, &one, sizeof one) < 0) {
      // the counter is full only after 2^64-2 dumps nobody read: nothing to do
    }
  });
  return true;
}

bool StackCapture::take(view::StackView& v) {
  uint64_t n = 0;
  if (read(shared_->efd, &n, sizeof n) < 0) {
    // EAGAIN: nothing new was signalled; the flag below decides
  }
  std::lock_guard<std::mutex> l(shared_->mu);
  if (!shared_->done) return false;
  shared_->done = false;
  const std::string name = v.name;
  v = std::move(shared_->result);
  v.name = name;
  return true;
}

}  // namespace ts::tools::top
