// go_stacks.cpp: a Go program's goroutines as G stacks; see go_stacks.h.
#include "stack/go_stacks.h"

#include <elfutils/libdwfl.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "format/units.h"
#include "gort/go_layout.h"
#include "gort/go_reader.h"
#include "model/error.h"

namespace ts::stack {
namespace {

constexpr uint64_t kMaxCopy = 1ull << 20;  // at most this much of a G's used stack is copied

// saved() tells whether the runtime saved g's context in g.sched: parked (waiting, runnable,
// copystack, preempted) or in a system call (entersyscall's save()); a running G has sp = 0.
bool saved(const GoroG& g) {
  return (g.state == GState::Waiting || g.state == GState::Runnable || g.state == GState::Syscall) && g.sp && g.pc;
}

// stack_only() replaces the suffix a Go reader's message ends in (what still works) with stack's own.
std::string stack_only(std::string msg) {
  const std::string tail(gort::kStillWorks);
  if (msg.ends_with(tail)) msg.resize(msg.size() - tail.size());
  else msg += "; ";
  return msg + "the threads' (LWP) stacks above are still shown";
}

}  // namespace

UnwindResult walk_frame_pointers(uint64_t pc, uint64_t bp, const StackCopy& stack, const Maps& maps, size_t max_frames) {
  UnwindResult r;
  r.frames.push_back(PhysFrame{pc, false});
  uint64_t prev = stack.base;
  while (r.frames.size() < std::max<size_t>(max_frames, 1)) {
    uint64_t next = 0, ret = 0;
    if (bp % 8 || bp < prev || !stack.word(bp, &next) || !stack.word(bp + 8, &ret)) {
      r.error = "frame pointer " + hex(bp) + " is not in its stack";
      return r;
    }
    if (!maps.executable(ret)) {
      r.error = "return address " + hex(ret) + " is not in code";
      return r;
    }
    r.frames.push_back(PhysFrame{ret, false});
    if (next == 0) {
      r.complete = true;
      return r;
    }
    if (next <= bp) {
      r.error = "frame pointer " + hex(next) + " does not lead up its stack";
      return r;
    }
    prev = bp + 16;
    bp = next;
  }
  r.error = "more than " + std::to_string(max_frames) + " frames: cut";
  return r;
}

namespace {

// exe_dwarf() is the DWARF `dwfl` opened (or opens now) for pid's executable, nullptr without.
Dwarf* exe_dwarf(Dwfl* dwfl, int32_t pid) {
  if (!dwfl) return nullptr;
  char buf[4096];
  const std::string link = "/proc/" + std::to_string(pid) + "/exe";
  const ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return nullptr;
  struct Find {
    std::string path;
    Dwfl_Module* mod = nullptr;
  } find{std::string(buf, static_cast<size_t>(n)), nullptr};
  dwfl_getmodules(
      dwfl,
      [](Dwfl_Module* mod, void**, const char* name, Dwarf_Addr, void* arg) -> int {
        auto* f = static_cast<Find*>(arg);
        if (name && f->path == name) {
          f->mod = mod;
          return DWARF_CB_ABORT;
        }
        return DWARF_CB_OK;
      },
      &find, 0);
  Dwarf_Addr bias = 0;
  return find.mod ? dwfl_module_getdwarf(find.mod, &bias) : nullptr;
}

}  // namespace

GoroGs read_go_gs(int32_t pid, int32_t mem, const Maps& maps, size_t max_frames, Dwfl* dwfl) {
  GoroGs out;
  std::unique_ptr<gort::GoProcess> go;
  try {
    gort::GoReadOptions opt;
    opt.exe_dwarf = exe_dwarf(dwfl, pid);
    out.present = true;
    go = std::make_unique<gort::GoProcess>(pid, opt);
    out.snap = go->read();
  } catch (const gort::NotGo&) {
    return GoroGs{};
  } catch (const Gone&) {
    return GoroGs{};  // gone: the threads' part says so
  } catch (const Error& e) {
    out.error = stack_only(e.what());
    return out;
  }
  Preparer prep;
  prep.check = [&](ParkedG& p) -> std::pair<uint64_t, uint64_t> {
    p.note.clear();
    if (!saved(p.g)) return {0, 0};
    p.note = check_stack(p.g, maps, 8);
    if (!p.note.empty()) return {0, 0};
    return {p.g.sp, std::min(p.g.stack_hi, p.g.sp + kMaxCopy)};
  };
  prep.finish = [&](ParkedG& p) {
    // In a system call Go (before 1.23) keeps no frame pointer: g.sched.bp is stale or 0.
    if (p.g.fp && p.g.state != GState::Syscall) {
      p.walk = walk_frame_pointers(p.g.pc, p.g.fp, p.stack, maps, max_frames);
      p.walked = true;
      p.stack = StackCopy{};  // walked: its copy is not needed again (the next batch reuses the memory)
    } else {
      p.regs = Regs{};
      p.regs.set(kDwarfSp, p.g.sp);
      p.regs.set(kDwarfPc, p.g.pc);
      p.parked = true;
    }
  };
  settle(out, mem, prep, [&go] { return go->read(); });
  return out;
}

}  // namespace ts::stack
