// collect_notes.cpp: the header's notes about privileges.
#include "view/collect_notes.h"

namespace ts::view {

std::string privilege_note(const bpf::Support& s) {
  if (s.privileged) return "";
  return "not privileged: no clone/exec/exit events (BPF needs root, or CAP_BPF and "
         "CAP_PERFMON); other users' memory maps are hidden";
}

}  // namespace ts::view
