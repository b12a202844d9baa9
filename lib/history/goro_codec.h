// goro_codec.h: the G/M/P part of a recorded sample. Every P and M is kept, but not every G: a Go
// service may run 100k Gs (130 KB a sample stored whole), so a sample keeps the Gs counted by state
// and wait reason, the Gs its Ms run (running, or in a system call), and the longest-waiting
// ones, as many as top's G/M/P pane lists (view::kWaitingGsShown): the replayed pane shows what the
// live one showed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "history/blob.h"
#include "model/gmp.h"

namespace ts::history {

// kKeptWaitingGs is how many of the longest-waiting Gs a sample keeps per process.
// kMaxKeptRunningGs bounds the running and in-syscall Gs kept (each holds an M; a program with
// more Ms than this keeps the first ones by slot).
extern const size_t kKeptWaitingGs;
constexpr size_t kMaxKeptRunningGs = 256;

// NameFn names the function at code address `pc` of process `pid` ("" when unknown).
using NameFn = std::function<std::string(int32_t pid, uint64_t pc)>;

// keep_gs() is `g` as a sample keeps it: g_counts set (count_gs() of every G), gs reduced to the
// Gs its Ms run or that are running or in a system call (at most kMaxKeptRunningGs), then the
// kKeptWaitingGs longest waiting (ties: slot order, as the pane), in slot order; saved registers
// and stack bounds cleared; each kept G's function named by `name` (when given) from its start_pc.
GoroSnapshot keep_gs(const GoroSnapshot& g, const NameFn& name = nullptr);

// put_goro() appends `g` (as keep_gs() made it).
void put_goro(BlobWriter& w, const GoroSnapshot& g);

// get_goro() reads what put_goro() wrote; a blob of `version` 1 or 2 holds every G and no counts
// (count_gs() then counts its gs). Fails (BlobReader::fail) on anything malformed.
GoroSnapshot get_goro(BlobReader& r, uint64_t version);

}  // namespace ts::history
