// goro_stacks.cpp: parked goroutines' contexts, checked and copied; see goro_stacks.h.
#include "stack/goro_stacks.h"

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <functional>
#include <map>

#include "format/units.h"
#include "goro/reader.h"
#include "model/error.h"

namespace ts::stack {
namespace {

// The frame goro_switch leaves at a parked G's sp: r15, r14, r13, r12, rbx, rbp, return pc.
constexpr uint64_t kSwitchFrame = 56;
constexpr uint64_t kMaxStack = 64ull << 20;  // no goro stack is larger; a bigger claim is corrupt
constexpr int kDwarfRbx = 3, kDwarfR12 = 12, kDwarfR13 = 13, kDwarfR14 = 14, kDwarfR15 = 15;

bool live(const GoroG& g) { return g.goid != 0 && g.state != GState::Dead && g.state != GState::Idle; }
bool has_context(const GoroG& g) { return g.state == GState::Runnable || g.state == GState::Waiting; }

// load() fills p's registers from its copied switch frame; false when the copy disagrees with the
// record (the G ran meanwhile).
bool load(ParkedG& p) {
  uint64_t w[7];
  for (int i = 0; i < 7; ++i)
    if (!p.stack.word(p.g.sp + 8 * i, &w[i])) return false;
  if (w[6] != p.g.pc || w[5] != p.g.fp) return false;
  p.regs = Regs{};
  p.regs.set(kDwarfR15, w[0]);
  p.regs.set(kDwarfR14, w[1]);
  p.regs.set(kDwarfR13, w[2]);
  p.regs.set(kDwarfR12, w[3]);
  p.regs.set(kDwarfRbx, w[4]);
  p.regs.set(kDwarfFp, w[5]);
  p.regs.set(kDwarfPc, w[6]);
  p.regs.set(kDwarfSp, p.g.sp + kSwitchFrame);
  return true;
}

bool same_park(const GoroG& a, const GoroG& b) {
  return a.state == b.state && a.sp == b.sp && a.pc == b.pc && a.fp == b.fp && a.wait_since_ns == b.wait_since_ns;
}

}  // namespace

std::string check_parked(const GoroG& g, const GoroSnapshot& s, const Maps& maps) {
  if (!(g.stack_lo < g.stack_hi) || g.stack_hi - g.stack_lo > kMaxStack)
    return "its published stack [" + hex(g.stack_lo) + ", " + hex(g.stack_hi) + ") is not a stack";
  if (s.arena_hi > s.arena_lo && (g.stack_lo < s.arena_lo || g.stack_hi > s.arena_hi))
    return "its published stack [" + hex(g.stack_lo) + ", " + hex(g.stack_hi) + ") lies outside the G arena";
  return check_stack(g, maps, kSwitchFrame);
}

std::string check_stack(const GoroG& g, const Maps& maps, uint64_t min_used) {
  if (!(g.stack_lo < g.stack_hi)) return "its stack [" + hex(g.stack_lo) + ", " + hex(g.stack_hi) + ") is not a stack";
  if (g.sp < g.stack_lo || g.sp > g.stack_hi || g.stack_hi - g.sp < min_used)
    return "its published sp " + hex(g.sp) + " lies outside its stack [" + hex(g.stack_lo) + ", " + hex(g.stack_hi) + ")";
  if (!maps.readable(g.sp, g.stack_hi - g.sp))
    return "its stack [" + hex(g.sp) + ", " + hex(g.stack_hi) + ") is not readable memory of the process";
  if (!maps.executable(g.pc)) return "its published pc " + hex(g.pc) + " is not in code";
  return "";
}

void settle(GoroGs& out, int32_t mem, const Preparer& prep, const std::function<GoroSnapshot()>& reread) {
  out.gs.clear();
  out.gs.reserve(static_cast<size_t>(std::count_if(out.snap.gs.begin(), out.snap.gs.end(), live)));
  for (const GoroG& g : out.snap.gs)
    if (live(g)) {
      ParkedG p;
      p.g = g;
      out.gs.push_back(std::move(p));
    }
  std::sort(out.gs.begin(), out.gs.end(), [](const ParkedG& a, const ParkedG& b) { return a.g.goid < b.g.goid; });
  std::vector<ParkedG*> todo;
  for (ParkedG& p : out.gs) todo.push_back(&p);
  for (int round = 0; round < 3 && !todo.empty(); ++round) {
    std::vector<ParkedG*> copied;
    std::vector<CopyRange> ranges;
    for (size_t first = 0; first < todo.size(); first += IOV_MAX) {
      ranges.clear();
      const size_t batch = copied.size();
      for (size_t k = first; k < std::min(todo.size(), first + IOV_MAX); ++k) {
        ParkedG* p = todo[k];
        const auto [lo, hi] = prep.check(*p);
        if (lo >= hi) continue;
        ranges.push_back(CopyRange{lo, hi, &p->stack});
        copied.push_back(p);
      }
      copy_ranges(mem, ranges);
      for (size_t k = batch; k < copied.size(); ++k) prep.finish(*copied[k]);
    }
    if (copied.empty()) return;
    // A G that ran while its stack was copied has a new record: read them all again.
    GoroSnapshot again;
    try {
      again = reread();
    } catch (const Error&) {
      return;  // gone or unreadable now: keep what was copied
    }
    std::map<uint64_t, const GoroG*> now;
    for (const GoroG& g : again.gs)
      if (g.goid) now[g.goid] = &g;
    std::vector<ParkedG*> next;
    for (ParkedG* p : copied) {
      auto it = now.find(p->g.goid);
      if (it != now.end() && same_park(p->g, *it->second)) continue;
      p->parked = p->walked = false;
      p->walk = UnwindResult{};
      if (it == now.end()) {
        p->note = "it exited during the dump";
        continue;
      }
      p->g = *it->second;
      next.push_back(p);
    }
    todo.swap(next);
  }
  for (ParkedG* p : todo)
    if (p->note.empty() && !p->parked && !p->walked) p->note = "it kept running while its stack was read";
}

GoroGs read_goro_gs(int32_t pid, int32_t mem, const Maps& maps) {
  GoroGs out;
  struct stat st {};
  if (lstat(goro::segment_path(pid).c_str(), &st) != 0) return out;
  out.present = true;
  try {
    out.snap = goro::read_goro(pid);
  } catch (const Error& e) {
    out.error = e.what();
    return out;
  }
  // Each G with a saved context: checked, its used stack copied, its registers loaded from the
  // switch frame; false (not copied) for a G that runs or whose record does not hold together.
  Preparer prep;
  prep.check = [&](ParkedG& p) -> std::pair<uint64_t, uint64_t> {
    p.note.clear();
    if (!has_context(p.g)) return {0, 0};
    p.note = check_parked(p.g, out.snap, maps);
    if (!p.note.empty()) return {0, 0};
    return {p.g.sp, p.g.stack_hi};
  };
  prep.finish = [](ParkedG& p) { p.parked = load(p); };
  settle(out, mem, prep, [pid] { return goro::read_goro(pid); });
  return out;
}

}  // namespace ts::stack
