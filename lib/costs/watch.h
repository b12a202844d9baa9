// watch.h: the two measurements taken from outside a probe: the kernel's context-switch counts
// around a switch test, and the RSS an idle unit adds.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "costs/observe.h"
#include "costs/probe.h"
#include "costs/row.h"

namespace ts::costs {

// Watched is a probe's result report with the kernel's counts around it.
struct Watched {
  nlohmann::json result;  // the probe's second report
  Switches delta;         // over the watched tasks, the protocol's own waits subtracted
};

// measure_create() forks a probe pinned to `cpus` that times `body` (which creates `units`
// units) over timed_rounds() and returns the per-unit Spread; `what` names it in errors.
Spread measure_create(const std::vector<int>& cpus, int rounds, int units, const std::string& what,
                      const std::function<void()>& body);

// watch_switches() runs a switch test. The probe's protocol: report {"tasks":[[pid,tid],...]}
// (the tasks that will switch), wait for go, switch, report its result, then block (each task in
// the watched window blocks `handshake` times in total for the protocol itself: subtracted).
// The counts are read while every watched task sleeps, so the window holds exactly the test.
Watched watch_switches(Probe& p, Observer& obs, const std::string& what, uint64_t handshake);

// fill_pingpong() sets a row's switch figures from a ping-pong probe's result ({"roundtrip_ns":
// [per round], "switches":N}): a switch is half a round trip.
void fill_pingpong(CostRow& row, const Watched& w);

// IdleMemory is what idle units added to a probe's RSS.
struct IdleMemory {
  nlohmann::json result;  // the probe's second report
  uint64_t per_unit = 0;  // bytes per unit
  uint32_t units = 0;
};

// watch_idle_memory() measures units at rest. The probe's protocol: report {} and wait for go
// (the baseline is read then), make `units` idle units, report {"units":N, ...} and wait again.
// `at_rest`, when given, is called while the units are idle, after their RSS was read.
IdleMemory watch_idle_memory(Probe& p, Observer& obs, const std::string& what,
                             const std::function<void()>& at_rest = {});

}  // namespace ts::costs
