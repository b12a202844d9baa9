// unwind.cpp: libdwfl's thread callbacks over captured registers and stack copies.
#include "stack/unwind.h"

#include <elfutils/libdwfl.h>
#include <sys/uio.h>

#include <cstring>

#include "stack/cfi_steps.h"

namespace ts::stack {

struct Unwinder::State {
  int32_t pid = 0;
  const Unit* cur = nullptr;
  CfiSteps steps;
  explicit State(Dwfl* dwfl) : steps(dwfl) {}
};

namespace {

pid_t next_thread(Dwfl*, void*, void**) { return 0; }  // only asked for by id (get_thread)

bool get_thread(Dwfl*, pid_t tid, void* arg, void** thread_arg) {
  auto* s = static_cast<Unwinder::State*>(arg);
  if (!s->cur || s->cur->id != tid) return false;
  *thread_arg = const_cast<Unit*>(s->cur);
  return true;
}

bool read_word(uint64_t addr, uint64_t* result, void* arg) {
  auto* s = static_cast<Unwinder::State*>(arg);
  const Unit* u = s->cur;
  if (!u) return false;
  uint64_t v = 0;
  if (u->stack && u->stack->word(addr, &v)) {
    *result = v;
    return true;
  }
  if (!u->live_reads) return false;
  iovec local{&v, sizeof v};
  iovec remote{reinterpret_cast<void*>(addr), sizeof v};
  if (process_vm_readv(s->pid, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(sizeof v)) return false;
  *result = v;
  return true;
}

bool memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* arg) {
  uint64_t v = 0;
  if (!read_word(addr, &v, arg)) return false;
  *result = v;
  return true;
}

bool set_initial_registers(Dwfl_Thread* thread, void* thread_arg) {
  const Unit* u = static_cast<const Unit*>(thread_arg);
  const Regs& r = *u->regs;
  if (!r.has(kDwarfPc) || !r.has(kDwarfSp)) return false;
  for (int i = 0; i < kDwarfPc; ++i)
    if (r.has(i)) {
      const Dwarf_Word w = r.r[i];
      if (!dwfl_thread_state_registers(thread, i, 1, &w)) return false;
    }
  dwfl_thread_state_register_pc(thread, r.r[kDwarfPc]);
  return true;
}

const Dwfl_Thread_Callbacks kCallbacks = {next_thread, get_thread, memory_read, set_initial_registers, nullptr,
                                          nullptr};

struct Collect {
  UnwindResult* out;
  size_t max;
  bool first_is_return;
};

int frame_cb(Dwfl_Frame* frame, void* arg) {
  auto* c = static_cast<Collect*>(arg);
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(frame, &pc, &activation)) return DWARF_CB_ABORT;
  if (c->out->frames.empty() && c->first_is_return) activation = false;
  c->out->frames.push_back(PhysFrame{pc, activation});
  return c->out->frames.size() >= c->max ? DWARF_CB_ABORT : DWARF_CB_OK;
}

}  // namespace

Unwinder::Unwinder(Dwfl* dwfl, int32_t pid, bool cached_steps)
    : dwfl_(dwfl), state_(new State(dwfl)), cached_steps_(cached_steps) {
  state_->pid = pid;
  if (!dwfl) {
    error_ = "no modules";
    return;
  }
  ok_ = dwfl_attach_state(dwfl, nullptr, pid, &kCallbacks, state_);
  if (!ok_) error_ = dwfl_errmsg(-1);
}

Unwinder::~Unwinder() { delete state_; }  // the Dwfl (owned elsewhere) keeps no use of it after its end

bool Unwinder::unwind_by_steps(const Unit& u, size_t max, UnwindResult& r) {
  Regs regs = *u.regs;
  for (bool first = true;; first = false) {
    if (!regs.has(kDwarfPc)) return false;
    const uint64_t pc = regs.r[kDwarfPc];
    r.frames.push_back(PhysFrame{pc, first && !u.first_is_return});
    if (r.frames.size() >= max) {
      r.error = "more than " + std::to_string(max) + " frames: cut";
      return true;
    }
    // The first frame's pc is where it stands; a caller's is a return address, whose call is
    // the instruction before it (libdwfl looks up the same addresses).
    switch (CfiSteps::step(state_->steps.at(first ? pc : pc - 1), regs, read_word, state_)) {
      case StepResult::Caller: break;
      case StepResult::Outermost: r.complete = true; return true;
      case StepResult::Unknown: return false;
    }
  }
}

UnwindResult Unwinder::unwind(const Unit& u, size_t max_frames) {
  UnwindResult r;
  if (!ok_) {
    r.error = error_;
    return r;
  }
  state_->cur = &u;
  const size_t max = max_frames ? max_frames : 1;
  if (cached_steps_) {
    if (unwind_by_steps(u, max, r)) {
      ++stepped_;
      state_->cur = nullptr;
      return r;
    }
    r = UnwindResult{};  // libdwfl unwinds it all again, its way
  }
  Collect c{&r, max, u.first_is_return};
  const int rc = dwfl_getthread_frames(dwfl_, u.id, frame_cb, &c);
  state_->cur = nullptr;
  if (rc == 0) {
    r.complete = true;
  } else if (r.frames.size() >= c.max) {
    r.error = "more than " + std::to_string(c.max) + " frames: cut";
  } else {
    const char* e = dwfl_errmsg(-1);
    r.error = e && *e ? e : "unwinding stopped";
  }
  return r;
}

}  // namespace ts::stack
