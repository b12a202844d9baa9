// history_frames.h: Frames made by hand for the recording tests: processes with counters that grow
// from frame to frame, a goro runtime, and a clone/exec/exit per frame.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "../view/frames.h"
#include "view/frame.h"

namespace ts::test {

// recorded_frame() is frame `n` (1..): processes 1, 100 (threads 100 and 101) and 200 (from frame
// 2 on), counters growing with n, a goro runtime in 100 with n waiting Gs, and one event of each
// kind at taken_ns - 1 ms.
inline view::Frame recorded_frame(uint64_t n) {
  FrameBuilder b(n);
  Task t100 = task(100, 100, "srv"), t101 = task(101, 100, "srv-worker");
  for (Task* t : {&t100, &t101}) {
    t->utime_ns = n * 10'000'000 * static_cast<uint64_t>(t->tid - 99);
    t->nvcsw = n * 5;
    t->nivcsw = n;
    t->start_ns = 1000;
  }
  b.add(proc(1, 0, "init")).add(proc(100, 1, "srv", {t100, t101}));
  if (n >= 2) b.add(proc(200, 100, "child"));
  view::Frame f = b.f;
  f.taken_ns = f.snap.taken_ns = 1'000'000'000ull * n;
  f.snap.boot_time_unix_ns = 1'700'000'000'000'000'000ull;
  f.machine.taken_ns = f.taken_ns;
  f.machine.all.user = 100 * n;
  f.machine.all.idle = 1000 * n;
  GoroSnapshot g;
  g.pid = 100;
  g.runtime = "goro";
  g.gomaxprocs = 2;
  g.ps.resize(2);
  g.ps[1].runq_len = static_cast<uint32_t>(n);
  for (uint64_t i = 0; i < n; ++i) {
    GoroG x;
    x.goid = i + 1;
    x.state = GState::Waiting;
    x.wait_reason = WaitReason::ChanRecv;
    x.sp = 0xdead;
    g.gs.push_back(x);
  }
  f.goro[100] = g;
  const EventHeader h{f.taken_ns - 1'000'000, 1};
  CloneEvent c{h, 100, 100, "srv", 200 + static_cast<int32_t>(n), 200 + static_cast<int32_t>(n), 0x11, 17, false};
  ExecEvent e{h, 200 + static_cast<int32_t>(n), 200 + static_cast<int32_t>(n), 0, "true", "/bin/true", {"true", "x" + std::to_string(n)}, false};
  ExitEvent x{h, 200 + static_cast<int32_t>(n), 200 + static_cast<int32_t>(n), "true", true, 42u << 8, 5000, 700};
  f.events = {c, e, x};
  f.events_on = true;
  return f;
}

// TempDir is a directory removed with what it holds.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/ts-history-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

}  // namespace ts::test
