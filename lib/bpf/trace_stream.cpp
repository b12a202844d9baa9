// trace_stream.cpp: record decoding and ring buffer draining.
#include "bpf/trace_stream.h"

#include <bpf/libbpf.h>
#include <linux/types.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "../../bpf/trace_sched.h"
#include "model/error.h"

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

template <class Rec>
bool fits(size_t size) {
  return size >= sizeof(Rec);
}

}  // namespace

bool decode_record(const void* data, size_t size, const EventSink& sink) {
  if (size < sizeof(ts_rec_hdr)) return false;
  ts_rec_hdr h;
  std::memcpy(&h, data, sizeof h);
  switch (h.kind) {
    case TS_REC_CLONE: {
      if (!fits<ts_clone_rec>(size)) return false;
      ts_clone_rec r;
      std::memcpy(&r, data, sizeof r);
      CloneEvent e;
      e.hdr = header(r.hdr);
      e.parent_pid = static_cast<int32_t>(r.parent_pid);
      e.parent_tid = static_cast<int32_t>(r.parent_tid);
      e.parent_comm = bounded(r.parent_comm);
      e.child_pid = static_cast<int32_t>(r.child_pid);
      e.child_tid = static_cast<int32_t>(r.child_tid);
      e.flags = r.clone_flags;
      e.exit_signal = r.exit_signal;
      e.kernel_thread = (r.child_pf_flags & 0x00200000u) != 0;
      sink(Event{std::move(e)});
      return true;
    }
    case TS_REC_EXEC: {
      if (!fits<ts_exec_rec>(size)) return false;
      const auto* r = static_cast<const ts_exec_rec*>(data);  // ring buffer records are 8-aligned
      ExecEvent e;
      e.hdr = header(r->hdr);
      e.pid = static_cast<int32_t>(r->pid);
      e.tid = static_cast<int32_t>(r->tid);
      e.old_tid = static_cast<int32_t>(r->old_tid);
      e.comm = bounded(r->comm);
      e.filename = bounded(r->filename);
      const size_t len = r->args_len < sizeof r->args ? r->args_len : sizeof r->args;
      e.argv = split_args(r->args, len);
      e.argv_truncated = r->args_truncated != 0;
      sink(Event{std::move(e)});
      return true;
    }
    case TS_REC_EXIT: {
      if (!fits<ts_exit_rec>(size)) return false;
      ts_exit_rec r;
      std::memcpy(&r, data, sizeof r);
      ExitEvent e;
      e.hdr = header(r.hdr);
      e.pid = static_cast<int32_t>(r.pid);
      e.tid = static_cast<int32_t>(r.tid);
      e.comm = bounded(r.comm);
      e.group_dead = r.group_dead != 0;
      e.raw_code = r.exit_code;
      e.lifetime_ns = r.hdr.ts_ns > r.start_ns ? r.hdr.ts_ns - r.start_ns : 0;
      e.cpu_ns = r.cpu_ns;
      sink(Event{std::move(e)});
      return true;
    }
    case TS_REC_SWITCH: {
      if (!fits<ts_switch_rec>(size)) return false;
      ts_switch_rec r;
      std::memcpy(&r, data, sizeof r);
      SwitchEvent e;
      e.hdr = header(r.hdr);
      e.prev_pid = static_cast<int32_t>(r.prev_pid);
      e.prev_tid = static_cast<int32_t>(r.prev_tid);
      e.prev_comm = bounded(r.prev_comm);
      e.prev_state = r.prev_state;
      e.voluntary = (r.flags & TS_SWITCH_VOLUNTARY) != 0;
      e.prev_oncpu_ns = r.prev_oncpu_ns;
      e.next_pid = static_cast<int32_t>(r.next_pid);
      e.next_tid = static_cast<int32_t>(r.next_tid);
      e.next_comm = bounded(r.next_comm);
      e.next_offcpu_ns = r.next_offcpu_ns;
      sink(Event{std::move(e)});
      return true;
    }
    default:
      return false;
  }
}

RingReader::RingReader(int map_fd) {
  rb_ = ring_buffer__new(map_fd, &RingReader::on_record, this, nullptr);
  if (!rb_) throw Error("cannot open the BPF ring buffer: " + std::string(std::strerror(errno)));
}

RingReader::~RingReader() { ring_buffer__free(rb_); }

int RingReader::on_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RingReader*>(ctx);
  try {
    if (decode_record(data, size, *self->sink_)) ++self->seen_;
    else ++self->undecodable_;
  } catch (...) {
    // libbpf is C: keep the exception out of its frames and rethrow after the drain.
    self->error_ = std::current_exception();
    return -1;
  }
  return 0;
}

size_t RingReader::drain(int timeout_ms, const EventSink& sink) {
  sink_ = &sink;
  seen_ = 0;
  // poll() only consumes when the kernel forced a wakeup; consume() takes what was left quietly.
  if (timeout_ms > 0) ring_buffer__poll(rb_, timeout_ms);
  ring_buffer__consume(rb_);
  sink_ = nullptr;
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  return seen_;
}

}  // namespace ts::bpf
