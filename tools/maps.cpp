// maps.cpp: `taskscope maps PID` — a process's memory segments as the explainers draw them
// (text, data, bss, heap, stack, thread stacks, libraries), with size(1)'s line on top.
#include "maps_view.h"
#include "model/error.h"
#include "procfs/maps_reader.h"
#include "registry.h"
#include "sys/pid.h"

namespace ts::tools {

namespace {

struct MapsOptions {
  std::string pid;  // as given; parsed by sys::parse_pid
  bool json = false;
};

Runner setup_maps(CLI::App& app) {
  auto opt = std::make_shared<MapsOptions>();
  app.add_option("PID", opt->pid, "the process to show")->required();
  app.add_flag("--json", opt->json, "NDJSON: one object per segment, then one summary object");
  app.footer("See taskscope-maps(1). Needs ptrace access to PID (root, CAP_SYS_PTRACE, or the same user).");
  return [opt](Context& ctx) {
    const int32_t pid = sys::parse_pid(opt->pid, "PID");
    VmStatus denied;
    ProcessMaps pm;
    try {
      pm = read_process_maps(pid, &denied);
    } catch (const Error&) {
      if (!denied.lines.empty()) print_vm_status(pid, denied, opt->json, ctx.out);
      throw;
    }
    if (opt->json) print_maps_json(pm, ctx.out);
    else print_maps_text(pm, ctx.out);
    ctx.out.flush();
    print_notes(pm, ctx.err);
    return 0;
  };
}

const Registration reg{"maps", "memory segments of a process: text, data, bss, heap, stacks, libraries", setup_maps, 30};

}  // namespace

}  // namespace ts::tools
