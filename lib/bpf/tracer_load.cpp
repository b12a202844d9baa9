// tracer_load.cpp: choosing and attaching a tracer's programs.
#include "bpf/tracer_load.h"

#include <bpf/bpf.h>

namespace ts::bpf {

void choose_programs(bpf_object* obj, AttachKind kind, const std::function<bool(const std::string&)>& wanted) {
  const std::string prefix = kind == AttachKind::TpBtf ? "btf_" : "raw_";
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    const std::string name = bpf_program__name(prog);
    const bool on = name.compare(0, prefix.size(), prefix) == 0 && wanted(name.substr(prefix.size()));
    bpf_program__set_autoload(prog, on);
  }
}

int attach_chosen(bpf_object* obj, Links& links, std::string& failed) {
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    if (!bpf_program__autoload(prog)) continue;
    // iterators are not attached to anything: their user runs them on demand
    if (std::string(bpf_program__section_name(prog)).rfind("iter/", 0) == 0) continue;
    bpf_link* link = bpf_program__attach(prog);
    if (!link) {
      const int err = -errno;
      failed = bpf_program__section_name(prog);
      return err ? err : -EINVAL;
    }
    links.emplace_back(link);
  }
  return 0;
}

std::vector<ProgramCost> program_costs(bpf_object* obj) {
  std::vector<ProgramCost> out;
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    const int fd = bpf_program__fd(prog);
    if (fd < 0) continue;  // not loaded
    bpf_prog_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) continue;
    out.push_back({bpf_program__name(prog), info.run_cnt, info.run_time_ns, info.recursion_misses});
  }
  return out;
}

}  // namespace ts::bpf
