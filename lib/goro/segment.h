// segment.h: decoding a goro introspection segment (goro/introspect_abi.h) into a GoroSnapshot.
// The bytes come from a process we do not trust: every size, offset, count and enum is checked,
// and every record is copied under its sequence counter.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "model/gmp.h"

namespace ts::goro {

// Limits bound what a segment may claim, so a hostile one cannot make the reader allocate or
// scan without end. A segment beyond them is rejected with ts::Error.
struct Limits {
  uint32_t max_ps = 4096;          // Ps in the table
  uint32_t max_ms = 65536;         // M slots
  uint32_t max_gs = 1u << 24;      // G slots up to the high-water mark (16M)
  uint32_t max_record = 4096;      // bytes per record and for the descriptor
};

// ParseOptions tunes parse_segment().
struct ParseOptions {
  int32_t expect_pid = -1;   // the descriptor's pid must equal this; -1 skips the check
  uint64_t now_ns = 0;       // CLOCK_MONOTONIC "now" for wait durations; 0 reads the clock
  int retries = 4;           // tries per record before counting it as torn
  Limits limits;
};

// parse_segment() decodes a segment held in `seg` (8-byte aligned; may be a live shared mapping
// that its owner keeps writing). `what` names it in errors ("/dev/shm/goro.42"). Records whose
// sequence counter stays odd or changes across every try are skipped and counted in
// GoroSnapshot::torn. Throws ts::Error with a one-line message for anything malformed.
GoroSnapshot parse_segment(std::span<const std::byte> seg, const ParseOptions& opt, const std::string& what);

// read_segment_fd() maps the segment open on `fd` read-only (fstat for its size), decodes it with
// parse_segment() and unmaps it. A file truncated beneath the reader is a ts::Error, not SIGBUS.
GoroSnapshot read_segment_fd(int fd, const ParseOptions& opt, const std::string& what);

}  // namespace ts::goro
