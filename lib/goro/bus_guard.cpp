// bus_guard.cpp: a SIGBUS trap around copies from a goro segment. The segment's owner is
// untrusted and may ftruncate its file while we read the mapping; that must be an error, not a crash.
#include "goro/bus_guard.h"

#include <setjmp.h>
#include <signal.h>

#include <mutex>

namespace ts::goro {
namespace {

thread_local sigjmp_buf* t_jump = nullptr;  // set only while run_guarded's fn runs on this thread
struct sigaction g_previous;

void on_sigbus(int sig, siginfo_t* info, void* uctx) {
  if (t_jump) siglongjmp(*t_jump, 1);
  // Not ours: hand it to whoever had it before, or let the default action kill us.
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction) return g_previous.sa_sigaction(sig, info, uctx);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    return g_previous.sa_handler(sig);
  }
  signal(SIGBUS, SIG_DFL);  // the faulting access repeats and now takes the default action
}

void install() {
  struct sigaction sa {};
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, &g_previous);
}

}  // namespace

bool run_guarded(void (*fn)(void*), void* arg) {
  static std::once_flag once;
  std::call_once(once, install);
  sigjmp_buf jump;
  if (sigsetjmp(jump, 1) != 0) {
    t_jump = nullptr;
    return false;
  }
  t_jump = &jump;
  fn(arg);
  t_jump = nullptr;
  return true;
}

}  // namespace ts::goro
