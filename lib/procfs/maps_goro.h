// maps_goro.h: the goro runtime's G stack arena, as the runtime publishes it, for classifying maps.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "model/gmp.h"
#include "model/memory_map.h"

namespace ts {

// goroutine_arena_of() is the arena a snapshot describes, with its live Gs counted (dead slots are
// not Gs); nullopt when the runtime published no arena (a runtime older than the arena fields).
std::optional<GoroutineArena> goroutine_arena_of(const GoroSnapshot& s);

// read_goroutine_arena() reads pid's goro segment (lib/goro's read_goro: bounds-checked, owner and
// staleness checked) for its G stack arena. nullopt, silently, when pid publishes no segment (not a
// goro program, or one in another /dev/shm); nullopt with a note in `notes` saying why when there is
// a segment but it cannot be used (permission, stale, malformed, no arena published). Never throws.
std::optional<GoroutineArena> read_goroutine_arena(pid_t pid, std::vector<std::string>& notes);

}  // namespace ts
