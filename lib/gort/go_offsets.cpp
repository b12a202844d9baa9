// go_offsets.cpp: the runtime's globals by symbol, its struct fields by DWARF name.
#include "gort/go_offsets.h"

#include <algorithm>

#include "model/error.h"

namespace ts::gort {
namespace {

struct Resolver {
  const GoLayout& layout;
  const std::string& version;
  uint32_t* span;
  const char* type;

  Field need(std::string_view path) const {
    const Field f = layout.field(type, path);
    if (!f.found) throw Error(field_missing(type, path, version));
    *span = std::max(*span, f.end());
    return f;
  }
  Field want(std::string_view path) const {
    const Field f = layout.field(type, path);
    if (f.found) *span = std::max(*span, f.end());
    return f;
  }
};

}  // namespace

GoOffsets load_offsets(const GoBinary& bin, int32_t pid) {
  GoOffsets o;
  o.version = bin.version();
  const std::string who = "pid " + std::to_string(pid) + " is a " + (o.version.empty() ? "Go" : o.version) + " program";
  if (!bin.has_symbols() || !bin.dwarf()) {
    const std::string missing = !bin.has_symbols() && !bin.dwarf() ? "symbols and DWARF (-ldflags='-s -w')"
                                : !bin.dwarf()                     ? "DWARF (-ldflags=-w)"
                                                                   : "a symbol table (-ldflags=-s)";
    throw Error(who + " built without " + missing + ": its goroutines cannot be read from outside; " + std::string(kStillWorks));
  }
  auto global = [&](const char* name) {
    const auto s = bin.symbol(name);
    if (!s) throw Error(who + " without the symbol " + name + ": its runtime is not one taskscope knows; " + std::string(kStillWorks));
    return s->addr;
  };
  o.allglen = global("runtime.allglen");
  o.allgs = global("runtime.allgs");
  o.allm = global("runtime.allm");
  o.allp = global("runtime.allp");
  o.sched = global("runtime.sched");
  if (const auto w = bin.symbol("runtime.waitReasonStrings")) o.wait_reasons = w->addr, o.wait_reasons_n = std::min<uint64_t>(w->size / 16, 256);
  if (const auto t = bin.symbol("runtime.runtimeInitTime")) o.init_time = t->addr;
  if (const auto f = bin.symbol("runtime.sysmon")) o.sysmon_fn = f->addr;

  const GoLayout L(bin.dwarf(), {"runtime.g", "runtime.m", "runtime.p", "runtime.schedt"});
  const Resolver g{L, o.version, &o.g_span, "runtime.g"};
  o.g_goid = g.need("goid");
  o.g_status = g.need("atomicstatus");
  o.g_startpc = g.need("startpc");
  o.g_gopc = g.need("gopc");
  o.g_waitreason = g.want("waitreason");
  o.g_waitsince = g.want("waitsince");
  o.g_m = g.want("m");
  o.g_stack_lo = g.want("stack.lo");
  o.g_stack_hi = g.want("stack.hi");
  o.g_sp = g.want("sched.sp");
  o.g_pc = g.want("sched.pc");
  o.g_bp = g.want("sched.bp");
  o.g_parent = g.want("parentGoid");
  const Resolver m{L, o.version, &o.m_span, "runtime.m"};
  o.m_id = m.need("id");
  o.m_procid = m.need("procid");
  o.m_curg = m.need("curg");
  o.m_p = m.need("p");
  o.m_alllink = m.need("alllink");
  o.m_spinning = m.want("spinning");
  o.m_blocked = m.want("blocked");
  o.m_mstartfn = m.want("mstartfn");
  const Resolver p{L, o.version, &o.p_span, "runtime.p"};
  o.p_id = p.need("id");
  o.p_status = p.need("status");
  o.p_m = p.need("m");
  o.p_runqhead = p.need("runqhead");
  o.p_runqtail = p.need("runqtail");
  o.p_runnext = p.need("runnext");
  o.p_schedtick = p.want("schedtick");
  o.p_syscalltick = p.want("syscalltick");
  const Resolver s{L, o.version, &o.s_span, "runtime.schedt"};
  o.s_runqsize = s.need("runqsize");
  o.s_goidgen = s.want("goidgen");
  return o;
}

}  // namespace ts::gort
