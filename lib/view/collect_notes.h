// collect_notes.h: what `top` says in its header about what it cannot show.
#pragma once
#include <string>

#include "bpf/bpf_common.h"

namespace ts::view {

// privilege_note() is the header line for a user whose privileges hide part of `top` (the BPF
// events, other users' memory maps); empty when `s` says the process is privileged.
std::string privilege_note(const bpf::Support& s);

}  // namespace ts::view
