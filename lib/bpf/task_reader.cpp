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

std::unique_ptr<TaskReader> make_task_reader(std::string* walk_why) {
  std::string why;
  const char* env = std::getenv("TASKSCOPE_BPF_WALK");
  const std::string_view mode = env ? env : "";
  if (mode == "off") {
    why = "TASKSCOPE_BPF_WALK=off";
  } else if (mode != "on" && !walk_pinnable(why)) {
    // Verifying the walk takes seconds where the iterator takes tens of milliseconds: unpinned,
    // every one-shot command would pay it.
    why = "the walk cannot be pinned here (" + why + ")";
  } else {
    try {
      auto walk = std::make_unique<TaskWalkReader>();
      if (walk_why) walk_why->clear();
      return walk;
    } catch (const Error& e) {
      why = e.what();  // a kernel before 6.7, or a verifier that refuses it: the iterator serves
    }
  }
  if (walk_why) *walk_why = why;
  return std::make_unique<TaskIterReader>();
}

}  // namespace ts::bpf
