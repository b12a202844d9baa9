// sample.h: Sample, what the recorder keeps of one collector Frame, and its byte encoding (the
// blob stored zstd-compressed in the `sample` table). Counters are stored cumulative, as the
// sources read them; rates are computed when replaying, from two samples.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "history/goro_codec.h"
#include "model/gmp.h"
#include "model/machine.h"
#include "model/snapshot.h"

namespace ts::view {
struct Frame;
}

namespace ts::history {

// kSampleVersion is the version of the blob encoding this taskscope writes: 3, a key (whole) or a
// delta (the changes since the sample before), its G/M/P with G counts and some Gs (keep_gs()).
// kOldestSampleVersion is the oldest it still reads (1: every sample whole; 1 and 2: every G); a
// reader refuses others, naming both.
constexpr uint32_t kSampleVersion = 3;
constexpr uint32_t kOldestSampleVersion = 1;

// Sample is one recorded instant.
struct Sample {
  bool threads = false;        // every task was kept; otherwise each process holds one task whose
                               // counters are its threads' sums (see from_frame())
  Snapshot snap;               // the tasks (notes included)
  MachineSample machine;       // machine-wide counters
  std::map<int32_t, GoroSnapshot> goro;  // pid -> G/M/P state: the Gs counted, some kept (keep_gs())
  bool events_on = false;      // clone/exec/exit events were traced in this interval
  uint64_t events_lost = 0;    // events lost since the recorder started
  std::vector<std::string> notes;  // the frame's notes (what could not be read)
};

// from_frame() keeps what a Sample holds of `f`. Without `threads` each process keeps a single
// task, its leader's identity (tid = pid, the leader's or first task's name, state and start
// time) with the sums of every thread's CPU time, switches and run-queue delay: process rates
// and totals replay exactly, per-thread rows are not kept. Each G/M/P is kept as keep_gs() says,
// the kept Gs' functions named by `name` (when given).
Sample from_frame(const view::Frame& f, bool threads, const NameFn& name = nullptr);

// frame_head() is from_frame() of `f` with `threads` but without its processes (snap.processes
// stays empty), for a writer that encodes the frame's own (encode() with `procs`) rather than a
// copy. Only for frames whose processes are in strict pid order (in_pid_order()).
Sample frame_head(const view::Frame& f, const NameFn& name = nullptr);

// in_pid_order() tells whether `ps` is in strict pid order, as a sample's processes must be.
bool in_pid_order(const std::vector<Process>& ps);

// encode() is the sample's blob (before compression): whole (a key sample) when `base` is null,
// else the changes since *base, the sample before it (a delta; decode_delta() needs *base back).
std::string encode(const Sample& s, const Sample* base = nullptr);

// encode() with `procs` is the blob of `s` holding `procs` (in strict pid order) in place of its
// own processes; a delta from `base_procs`, the processes of the sample before, when not null.
std::string encode(const Sample& s, const std::vector<Process>& procs, const std::vector<Process>* base_procs);

// decode() reads a key blob encode() wrote; throws ts::Error "<what>: ... at byte N" for anything
// malformed (truncated, out of range, another version, trailing bytes, a delta).
Sample decode(std::string_view blob, const std::string& what);

// decode_delta() reads a delta blob, applied to `base` (the sample before it, decoded); throws as
// decode() does, and for a key blob or changes that do not fit `base`.
Sample decode_delta(std::string_view blob, const std::string& what, Sample base);

}  // namespace ts::history
