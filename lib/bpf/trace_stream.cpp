// trace_stream.cpp: record decoding and ring buffer draining.
#include "bpf/trace_stream.h"

#include <bpf/libbpf.h>
#include <linux/types.h>


#include <cstdlib>
#include <cstring>
#include <utility>

#include "../../bpf/trace_sched.h"
#include "model/error.h"
#include "sys/clock.h"

namespace ts::bpf {

const char* attach_kind_name(AttachKind k) { return k == AttachKind::TpBtf ? "tp_btf" : "raw_tp"; }

std::vector<AttachKind> attach_kinds_to_try() {
  const char* v = std::getenv("TASKSCOPE_TRACE_ATTACH");
  if (v && std::strcmp(v, "tp_btf") == 0) return {AttachKind::TpBtf};
  if (v && std::strcmp(v, "raw_tp") == 0) return {AttachKind::RawTp};
  return {AttachKind::TpBtf, AttachKind::RawTp};
}

namespace {

// bounded() reads a C string from a fixed-size field that the kernel may not have terminated.
template <size_t N>
std::string bounded(const char (&s)[N]) {
  return std::string(s, strnlen(s, N));
}

// split_args() splits the NUL-separated argv block read from the new mm.
std::vector<std::string> split_args(const char* p, size_t len) {
  std::vector<std::string> argv;
  size_t start = 0;
  for (size_t i = 0; i < len; ++i) {
    if (p[i] != '\0') continue;
    argv.emplace_back(p + start, i - start);
    start = i + 1;
  }
  if (start < len) argv.emplace_back(p + start, len - start);  // truncated last argument
  return argv;
}

EventHeader header(const ts_rec_hdr& h) { return EventHeader{h.ts_ns, static_cast<int32_t>(h.cpu)}; }

int32_t id(__u32 v) { return static_cast<int32_t>(v); }

CloneEvent to_event(const ts_clone_rec& r) {
  return {.hdr = header(r.hdr), .parent_pid = id(r.parent_pid), .parent_tid = id(r.parent_tid),
          .parent_comm = bounded(r.parent_comm), .child_pid = id(r.child_pid), .child_tid = id(r.child_tid),
          .flags = r.clone_flags, .exit_signal = r.exit_signal,
          .kernel_thread = (r.child_pf_flags & 0x00200000u) != 0};
}

ExecEvent to_event(const ts_exec_rec& r) {
  return {.hdr = header(r.hdr), .pid = id(r.pid), .tid = id(r.tid), .old_tid = id(r.old_tid),
          .comm = bounded(r.comm), .filename = bounded(r.filename),
          .argv = split_args(r.args, r.args_len < sizeof r.args ? r.args_len : sizeof r.args),
          .argv_truncated = r.args_truncated != 0};
}

ExitEvent to_event(const ts_exit_rec& r) {
  return {.hdr = header(r.hdr), .pid = id(r.pid), .tid = id(r.tid), .comm = bounded(r.comm),
          .group_dead = r.group_dead != 0, .raw_code = r.exit_code,
          .lifetime_ns = r.hdr.ts_ns > r.start_ns ? r.hdr.ts_ns - r.start_ns : 0, .cpu_ns = r.cpu_ns};
}

// to_event() of a switch record alone: voluntary is the tracepoint's guess (not preempted and not
// runnable) and next's off-CPU time is unknown; SwitchThreads::complete() knows better.
SwitchEvent to_event(const ts_switch_rec& r) {
  return {.hdr = header(r.hdr), .prev_pid = id(r.prev_pid), .prev_tid = id(r.prev_tid),
          .prev_comm = bounded(r.prev_comm), .prev_state = r.prev_state,
          .voluntary = !(r.flags & TS_SWITCH_PREEMPT) && r.prev_state != 0, .prev_oncpu_ns = r.prev_oncpu_ns,
          .next_pid = id(r.next_pid), .next_tid = id(r.next_tid), .next_comm = bounded(r.next_comm)};
}

// emit() decodes a record of type Rec (copied out: ring buffer memory is only 8-aligned and may
// be shorter than claimed) and hands the event to `sink`; `complete` may amend it first.
template <class Rec, class Complete>
bool emit(const void* data, size_t size, const EventSink& sink, Complete complete) {
  if (size < sizeof(Rec)) return false;
  Rec r;
  std::memcpy(&r, data, sizeof r);
  auto e = to_event(r);
  complete(r, e);
  sink(Event{std::move(e)});
  return true;
}

}  // namespace

void SwitchThreads::complete(const ts_switch_rec& r, SwitchEvent& e) {
  if (r.next_tid != 0) {
    const auto it = threads_.find(r.next_tid);
    if (it != threads_.end() && r.rq_ns > it->second.out_ns) e.next_offcpu_ns = r.rq_ns - it->second.out_ns;
  }
  if (r.prev_tid == 0) return;  // idle: per CPU, never blocks
  auto [it, fresh] = threads_.try_emplace(r.prev_tid);
  Seen& s = it->second;
  // Which counter did the scheduler raise? Exactly one of them moved since the last record of
  // this thread; the tracepoint's prev_state misses a block cancelled by a pending signal.
  const uint32_t dv = r.prev_nvcsw - s.nvcsw, di = r.prev_nivcsw - s.nivcsw;
  if (!fresh && dv + di == 1) e.voluntary = dv == 1;
  if (r.prev_state & TS_TASK_DEAD) {
    threads_.erase(it);  // its last switch
    return;
  }
  s = Seen{r.rq_ns, r.prev_nvcsw, r.prev_nivcsw};
}

bool decode_record(const void* data, size_t size, const EventSink& sink, SwitchThreads* threads) {
  if (size < sizeof(ts_rec_hdr)) return false;
  ts_rec_hdr h;
  std::memcpy(&h, data, sizeof h);
  const auto as_is = [](const auto&, auto&) {};
  switch (h.kind) {
    case TS_REC_CLONE:
      return emit<ts_clone_rec>(data, size, sink, as_is);
    case TS_REC_EXEC:
      return emit<ts_exec_rec>(data, size, sink, as_is);
    case TS_REC_EXIT:
      return emit<ts_exit_rec>(data, size, sink, as_is);
    case TS_REC_SWITCH:
      return emit<ts_switch_rec>(data, size, sink, [threads](const ts_switch_rec& r, SwitchEvent& e) {
        if (threads) threads->complete(r, e);
      });
    default:
      return false;
  }
}

RingReader::RingReader(int map_fd) {
  rb_ = ring_buffer__new(map_fd, &RingReader::on_record, this, nullptr);
  if (!rb_) throw Error("cannot open the BPF ring buffer: " + std::string(std::strerror(errno)));
}

RingReader::~RingReader() { ring_buffer__free(rb_); }

int RingReader::epoll_fd() const { return ring_buffer__epoll_fd(rb_); }

namespace {

// kStopDrain is what on_record() returns to make libbpf stop consuming: the record it was called
// for counts as consumed, the next ones stay in the ring.
constexpr int kStopDrain = -1;

}  // namespace

bool RingReader::spent() {
  if (!spent_)
    spent_ = (budget_.stop && *budget_.stop) || (budget_.until_ns && sys::monotonic_ns() >= budget_.until_ns);
  return spent_;
}

int RingReader::on_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RingReader*>(ctx);
  if (!self->sink_) {  // discard()
    ++self->seen_;
    return 0;
  }
  try {
    if (decode_record(data, size, *self->sink_, &self->threads_)) ++self->seen_;
    else ++self->undecodable_;
  } catch (...) {
    // libbpf is C: keep the exception out of its frames and rethrow after the drain.
    self->error_ = std::current_exception();
    return kStopDrain;
  }
  if ((self->seen_ + self->undecodable_) % kBudgetStride == 0 && self->spent()) return kStopDrain;
  return 0;
}

size_t RingReader::drain(int timeout_ms, const EventSink& sink, const DrainBudget& budget) {
  sink_ = &sink;
  budget_ = budget;
  spent_ = false;
  seen_ = 0;
  // poll() only consumes when the kernel forced a wakeup; consume() takes what was left quietly.
  // Both stop early (kStopDrain) once the budget is spent.
  if (timeout_ms > 0 && !spent()) ring_buffer__poll(rb_, timeout_ms);
  if (!error_ && !spent()) ring_buffer__consume(rb_);
  sink_ = nullptr;
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  return seen_;
}

uint64_t RingReader::discard() {
  sink_ = nullptr;
  seen_ = 0;
  ring_buffer__consume(rb_);
  return seen_;
}

}  // namespace ts::bpf
