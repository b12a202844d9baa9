// go_offsets.h: everything read_go() needs to know about one Go executable before touching the
// process: the runtime globals' addresses (by symbol) and struct fields (by DWARF name).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "gort/go_binary.h"
#include "gort/go_layout.h"

namespace ts::gort {

// GoOffsets holds link-time addresses of the runtime's globals and the fields of runtime.g, m, p
// and schedt that the reader decodes. Optional fields have found = false when the DWARF lacks them.
struct GoOffsets {
  std::string version;  // "go1.19.8"
  // globals (link-time addresses; add the load bias)
  uint64_t allglen = 0, allgs = 0, allm = 0, allp = 0, sched = 0;
  uint64_t wait_reasons = 0, wait_reasons_n = 0;  // runtime.waitReasonStrings: [N]string; 0 if absent
  uint64_t init_time = 0;                         // runtime.runtimeInitTime (int64 ns, monotonic); 0 if absent
  uint64_t sysmon_fn = 0;                         // runtime.sysmon's entry; 0 if absent
  // runtime.g: goid, atomicstatus, startpc, gopc required
  Field g_goid, g_status, g_startpc, g_gopc, g_waitreason, g_waitsince, g_m, g_stack_lo, g_stack_hi, g_sp, g_pc, g_bp,
      g_parent;
  // runtime.m: id, procid, curg, p, alllink required
  Field m_id, m_procid, m_curg, m_p, m_alllink, m_spinning, m_blocked, m_mstartfn;
  // runtime.p: id, status, m, runqhead, runqtail, runnext required
  Field p_id, p_status, p_m, p_runqhead, p_runqtail, p_runnext, p_schedtick, p_syscalltick;
  // runtime.schedt: runqsize required
  Field s_runqsize, s_goidgen;
  // spans: bytes read per record, [0, span): the furthest field's end
  uint32_t g_span = 0, m_span = 0, p_span = 0, s_span = 0;
};

// load_offsets() resolves every global and field for `bin` (a Go binary). Throws ts::Error with a
// one-line message when it has no symbols or DWARF (naming what is missing and what still works),
// or when a required symbol or field is absent (naming it and the Go version).
GoOffsets load_offsets(const GoBinary& bin, int32_t pid);

// field_value() reads field f of a record copied from the target (rec holds at least f.end()
// bytes), sign-extending signed fields; 0 for a field not found.
inline uint64_t field_value(const uint8_t* rec, const Field& f) {
  if (!f.found) return 0;
  switch (f.size) {
    case 1: { uint8_t v; std::memcpy(&v, rec + f.offset, 1); return f.is_signed ? static_cast<uint64_t>(static_cast<int8_t>(v)) : v; }
    case 2: { uint16_t v; std::memcpy(&v, rec + f.offset, 2); return f.is_signed ? static_cast<uint64_t>(static_cast<int16_t>(v)) : v; }
    case 4: { uint32_t v; std::memcpy(&v, rec + f.offset, 4); return f.is_signed ? static_cast<uint64_t>(static_cast<int32_t>(v)) : v; }
    default: { uint64_t v; std::memcpy(&v, rec + f.offset, 8); return v; }
  }
}

}  // namespace ts::gort
