// sync_fatal.cpp: Go-style fatal messages for channel and sync misuse.
#include "sync_fatal.h"

#include <stdio.h>
#include <unistd.h>

#include "goro/detail/park.h"
#include "introspect.h"

namespace goro::detail {

namespace {

[[noreturn]] void die(const char* prefix, const char* msg) noexcept {
  G* g = current_g();
  if (g != nullptr)
    fprintf(stderr, "%s%s\n\ngoroutine %llu [running]\n", prefix, msg, static_cast<unsigned long long>(goid(g)));
  else
    fprintf(stderr, "%s%s\n", prefix, msg);
  fflush(stderr);
  introspect_unlink_now();
  _exit(2);  // Go's exit status for panics and fatal errors; other Ms must not run destructors
}

}  // namespace

void sync_panic(const char* msg) noexcept { die("panic: ", msg); }

void sync_fatal(const char* msg) noexcept { die("fatal error: ", msg); }

}  // namespace goro::detail
