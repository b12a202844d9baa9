// proc_tracer.cpp: loading trace_proc.bpf.c.
#include "bpf/proc_tracer.h"

#include <linux/types.h>

#include "../../bpf/trace_proc.h"
#include "bpf/tracer_load.h"
#include "trace_proc.skel.h"

namespace ts::bpf {

struct ProcTracer::Impl {
  Links links;  // detached before the skeleton goes
  OwnedSkel<trace_proc_bpf> skel;
  AttachKind kind = AttachKind::TpBtf;
  std::unique_ptr<RingReader> reader;
};

ProcTracer::ProcTracer(const TraceFilter& filter, ProcEvents events) : impl_(std::make_unique<Impl>()) {
  auto prepare = [&](trace_proc_bpf* s, AttachKind kind) {
    set_filter_knobs(s->rodata, filter, kind);
    s->rodata->emit_clone = events.clone;
    // With -p, task_newtask also runs to learn the target's children (exec/exit follow them).
    const bool newtask = events.clone || filter.pid > 0;
    choose_programs(s->obj, kind, [&](const std::string& hook) {
      return (hook == "newtask" && newtask) || (hook == "exec" && events.exec) || (hook == "exit" && events.exit);
    });
  };
  impl_->skel = load_tracer<trace_proc_bpf>("the clone/exec/exit tracer", prepare, impl_->links, impl_->kind);
  impl_->reader = std::make_unique<RingReader>(bpf_map__fd(impl_->skel->maps.events));
}

ProcTracer::~ProcTracer() {
  if (impl_) {
    impl_->reader.reset();
    impl_->links.clear();
  }
}

int ProcTracer::fd() const { return impl_->reader->epoll_fd(); }

AttachKind ProcTracer::attach_kind() const { return impl_->kind; }

std::vector<ProgramCost> ProcTracer::costs() const { return program_costs(impl_->skel->obj); }

size_t ProcTracer::drain(int timeout_ms, const EventSink& sink, const DrainBudget& budget) {
  return impl_->reader->drain(timeout_ms, sink, budget);
}

void ProcTracer::detach() { impl_->links.clear(); }

uint64_t ProcTracer::discard() { return impl_->reader->discard(); }

uint64_t ProcTracer::lost() const { return __atomic_load_n(&impl_->skel->bss->lost, __ATOMIC_RELAXED); }

}  // namespace ts::bpf
