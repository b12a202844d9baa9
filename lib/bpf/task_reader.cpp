// task_reader.cpp: choosing the snapshot program: the open-coded walk, else the iterator.
#include "bpf/task_reader.h"

#include <cstdlib>
#include <string_view>

#include "bpf/task_iter_reader.h"
#include "bpf/task_walk_reader.h"
#include "model/error.h"

namespace ts::bpf {

VariantsAllowed variants_allowed() {
  VariantsAllowed a;
  const char* v = std::getenv("TASKSCOPE_TASK_ITER");
  if (!v) return a;
  const std::string_view s(v);
  a.argv = s.find("plain") == std::string_view::npos;
  a.exact = s.find("approx") == std::string_view::npos;
  return a;
}

WalkPlan plan_walk(ReaderUse use, std::string& why) {
  const char* env = std::getenv("TASKSCOPE_BPF_WALK");
  const std::string_view mode = env ? env : "";
  why.clear();
  if (mode == "off") {
    why = "TASKSCOPE_BPF_WALK=off";
    return WalkPlan::Never;
  }
  if (mode == "on") return WalkPlan::Now;
  if (use == ReaderUse::OneShot) {
    why = "a one-shot read uses the iterator (the walk's first read waits on two map updates)";
    return WalkPlan::Never;
  }
  if (!walk_pinnable(why)) {
    // Verifying the walk takes seconds where the iterator takes tens of milliseconds: unpinned,
    // every run would pay it.
    why = "the walk cannot be pinned here (" + why + ")";
    return WalkPlan::Never;
  }
  why = "the walk is loading";
  return WalkPlan::Later;
}

std::unique_ptr<TaskReader> load_walk() { return std::make_unique<TaskWalkReader>(); }

std::unique_ptr<TaskReader> make_task_reader(WalkPlan plan, std::string* walk_why) {
  if (plan == WalkPlan::Now) {
    try {
      auto walk = load_walk();
      if (walk_why) walk_why->clear();
      return walk;
    } catch (const Error& e) {
      if (walk_why) *walk_why = e.what();  // a kernel before 6.7, or a verifier that refuses it
    }
  }
  return std::make_unique<TaskIterReader>();
}

}  // namespace ts::bpf
