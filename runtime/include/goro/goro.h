// goro.h: the whole goro runtime API in one include.
#pragma once
#include "goro/runtime.h"
#include "goro/syscall.h"
#if __has_include("goro/chan.h")
#include "goro/chan.h"
#endif
#if __has_include("goro/select.h")
#include "goro/select.h"
#endif
#if __has_include("goro/wait_group.h")
#include "goro/wait_group.h"
#endif
#if __has_include("goro/mutex.h")
#include "goro/mutex.h"
#endif
#if __has_include("goro/cond.h")
#include "goro/cond.h"
#endif
#if __has_include("goro/time.h")
#include "goro/time.h"
#endif
#if __has_include("goro/net.h")
#include "goro/net.h"
#endif
