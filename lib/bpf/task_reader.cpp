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
  if (!walk_pinnable(why)) {
    // Verifying the walk takes seconds where the iterator takes tens of milliseconds: unpinned,
    // every run would pay it.
    why = "the walk cannot be pinned here (" + why + ")";
    return WalkPlan::Never;
  }
  if (use == ReaderUse::OneShot) return WalkPlan::IfPinned;
  why = "the walk is loading";
  return WalkPlan::Later;
}

std::unique_ptr<TaskReader> load_walk() { return std::make_unique<TaskWalkReader>(); }

std::unique_ptr<TaskReader> make_task_reader(WalkPlan plan, ReaderUse use, std::string* walk_why) {
  if (plan == WalkPlan::Now || plan == WalkPlan::IfPinned) {
    try {
      auto walk = std::make_unique<TaskWalkReader>(use == ReaderUse::OneShot ? WalkMaps::Shared : WalkMaps::Own,
                                                   plan == WalkPlan::IfPinned);
      if (walk_why) walk_why->clear();
      return walk;
    } catch (const Error& e) {
      if (walk_why) *walk_why = e.what();  // a kernel before 6.7, or a verifier that refuses it
    }
  }
  return std::make_unique<TaskIterReader>();
}

}  // namespace ts::bpf
