// stack_util.h: what the `taskscope stack` tests share: running it, reading its NDJSON, and
// reading the states of a process's threads.
#pragma once
#include <sys/types.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support.h"

namespace ts::test {

// StackRun is one run of `taskscope stack PID ARGS... --json`, decoded.
struct StackRun {
  RunResult r;
  std::map<int, nlohmann::json> threads;  // by tid
  std::map<uint64_t, nlohmann::json> gs;  // by goid
  nlohmann::json end;                     // the "end" object (null when missing)
};

// stack_json() runs `taskscope stack PID --json` with `args` and decodes its objects.
StackRun stack_json(int pid, const std::vector<std::string>& args = {});

// functions() is the "function" of every frame, in order.
std::vector<std::string> functions(const nlohmann::json& frames);

// bare() is a function name reduced for comparing names from different tools: no parameter list,
// clone suffix, return type or namespace ("int chain::leaf<int>(int) [clone .isra.0]" -> "leaf<int>").
std::string bare(const std::string& fn);

// task_states() maps each thread of pid to its /proc state letter.
std::map<int, char> task_states(int pid);

// start_quiet() starts argv in the background, its output going to /dev/null; returns its pid
// (the caller waits for it).
pid_t start_quiet(const std::vector<std::string>& argv);

// traced_or_stopped() lists the threads of pid that are stopped ('T') or held by a tracer ('t',
// or a TracerPid other than 0), as "TID:STATE" strings; empty when every thread runs free.
std::vector<std::string> traced_or_stopped(int pid);

// all_stopped() tells whether every thread of pid is in job-control stop ('T').
bool all_stopped(int pid);

}  // namespace ts::test
