// go_reader.cpp: a Go program's allgs, allm, allp and sched, read racily from outside into the
// G/M/P model. The program is never stopped, so nothing read is trusted: lengths are bounded,
// pointers are checked against its mappings, and a G that reads as impossible is read again.
#include "gort/go_reader.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "gort/go_binary.h"
#include "gort/go_offsets.h"
#include "gort/go_wait.h"
#include "gort/remote_memory.h"
#include "procfs/maps_read_file.h"
#include "procfs/proc_ids.h"
#include "sys/clock.h"
#include "sys/pid.h"

namespace ts::gort {
namespace {

constexpr uint64_t kMaxGs = 50'000'000;  // allglen past this is a torn or hostile read
constexpr uint64_t kMaxPs = 1024;        // _MaxGomaxprocs
constexpr uint64_t kMaxMs = 100'000;     // allm walk bound (sched.mnext when known)
constexpr int kGRetries = 2;             // re-reads of a G that looks impossible

// open_exe() opens pid's executable; a process gone meanwhile (or a zombie: no exe) is Gone.
std::unique_ptr<GoBinary> open_exe(int32_t pid) {
  try {
    return std::make_unique<GoBinary>("/proc/" + std::to_string(pid) + "/exe");
  } catch (const Gone&) {
    throw Gone("no process with pid " + std::to_string(pid) + " (it exited)");
  }
}

// load_bias() is where pid's executable was loaded relative to its link-time addresses: 0 for a
// fixed-address (ET_EXEC) binary, AT_PHDR minus the program headers' link address for a PIE.
uint64_t load_bias(const GoBinary& bin, int32_t pid) {
  if (!bin.position_independent()) return 0;
  const FileRead f = read_proc_file("/proc/" + std::to_string(pid) + "/auxv");
  if (is_gone_errno(f.error)) throw Gone("no process with pid " + std::to_string(pid) + " (it exited while being read)");
  for (size_t i = 0; i + 16 <= f.text.size(); i += 16) {
    uint64_t kv[2];
    std::memcpy(kv, f.text.data() + i, 16);
    if (kv[0] == AT_PHDR) return kv[1] - bin.phdr_vaddr();
  }
  throw Error("cannot find where pid " + std::to_string(pid) + "'s executable is loaded (/proc/PID/auxv has no AT_PHDR)");
}

// GoString is a Go string header.
struct GoString {
  uint64_t ptr, len;
};

std::string read_go_string(const RemoteMemory& mem, const GoString& s, uint64_t max) {
  if (s.len == 0 || s.len > max) return {};
  std::string out(s.len, '\0');
  return mem.read(s.ptr, out.data(), s.len) ? out : std::string();
}

// wait_strings() reads the program's own runtime.waitReasonStrings, so the numbering of its Go
// version is the one used.
std::vector<std::string> wait_strings(const RemoteMemory& mem, const GoOffsets& o, uint64_t bias) {
  std::vector<std::string> out;
  if (!o.wait_reasons || !o.wait_reasons_n) return out;
  std::vector<GoString> hdr(o.wait_reasons_n);
  if (!mem.read(o.wait_reasons + bias, hdr.data(), hdr.size() * sizeof(GoString))) return out;
  for (const GoString& s : hdr) out.push_back(read_go_string(mem, s, 64));
  return out;
}

// Reader is one read_go() call's state.
struct Reader {
  const RemoteMemory& mem;
  const GoBinary& bin;
  const GoOffsets& o;
  uint64_t bias;
  std::vector<std::string> waits;
  std::unordered_map<uint64_t, std::pair<bool, bool>> start_kind;  // startpc -> (system, main)

  uint64_t u64(uint64_t link_addr) const { return mem.value<uint64_t>(link_addr + bias).value_or(0); }

  // classify() says whether a start function is the runtime's own (as Go's isSystemGoroutine) or
  // runtime.main.
  std::pair<bool, bool> classify(uint64_t startpc) {
    auto it = start_kind.find(startpc);
    if (it != start_kind.end()) return it->second;
    const std::string fn = bin.function_at(startpc - bias);
    const bool main = fn == "runtime.main";
    const bool system = !main && fn.rfind("runtime.", 0) == 0 && fn != "runtime.handleAsyncEvent";
    return start_kind[startpc] = {system, main};
  }

  // decode_g() fills g from a copied record; false when the record is impossible (torn).
  bool decode_g(const uint8_t* rec, uint64_t goidgen, GoroG* g) {
    const uint32_t raw = static_cast<uint32_t>(field_value(rec, o.g_status));
    const GoState st = go_gstate(raw);
    g->goid = field_value(rec, o.g_goid);
    if (!st.known || (goidgen && g->goid > goidgen) || (st.state != GState::Dead && st.state != GState::Idle && g->goid == 0))
      return false;
    g->state = st.state;
    g->stack_lo = field_value(rec, o.g_stack_lo);
    g->stack_hi = field_value(rec, o.g_stack_hi);
    if (g->state != GState::Dead && g->stack_hi && g->stack_lo >= g->stack_hi) return false;
    g->wait_text.clear();
    g->wait_reason = WaitReason::None;
    if (st.go_word) {
      g->wait_text = st.go_word;
      g->wait_reason = go_wait_reason(st.go_word);
    } else if (g->state == GState::Waiting) {
      const uint64_t wr = field_value(rec, o.g_waitreason);
      if (!waits.empty() && wr >= waits.size()) return false;
      g->wait_text = wr < waits.size() ? waits[wr] : "";
      g->wait_reason = go_wait_reason(g->wait_text);
    }
    if (g->state == GState::Waiting || g->state == GState::Syscall) g->wait_since_ns = field_value(rec, o.g_waitsince);
    g->create_pc = field_value(rec, o.g_gopc);
    g->start_pc = field_value(rec, o.g_startpc);
    g->parent_goid = field_value(rec, o.g_parent);
    g->sp = field_value(rec, o.g_sp);
    g->pc = field_value(rec, o.g_pc);
    g->fp = field_value(rec, o.g_bp);
    std::tie(g->system, g->main) = classify(g->start_pc);
    // runtime.main's G is made by the runtime's assembly (rt0_go calls newproc), so its gopc is
    // runtime.newproc.abi0: no go statement created it, and Go prints no "created by" for it.
    if (g->main) g->create_pc = 0;
    return true;
  }
};

// Try is one attempt's result.
struct Try {
  GoroSnapshot s;
  bool moved = false;  // allgs changed during the read
};

Try read_once(Reader& r, int32_t pid) {
  const GoOffsets& o = r.o;
  const RemoteMemory& mem = r.mem;
  Try t;
  GoroSnapshot& s = t.s;
  s.pid = pid;
  s.runtime = o.version.empty() ? "go" : o.version;
  s.taken_ns = sys::monotonic_ns();
  if (o.init_time) {
    const uint64_t init = r.u64(o.init_time), now_real = sys::realtime_ns();
    if (init && init <= s.taken_ns) s.start_unix_ns = now_real - (s.taken_ns - init);
  }

  // allglen first, then the array (proc.go's allgadd contract): every G below allglen is published.
  const uint64_t glen = r.u64(o.allglen);
  const uint64_t garr = r.u64(o.allgs);
  if (glen > kMaxGs) throw Error("pid " + std::to_string(pid) + ": runtime.allglen reads " + std::to_string(glen) + ", not a plausible count");
  std::vector<uint64_t> gptrs(glen);
  if (glen && !mem.read(garr, gptrs.data(), glen * 8)) t.moved = true;
  std::vector<uint64_t> valid;
  valid.reserve(gptrs.size());
  for (uint64_t p : gptrs)
    if (p && p % 8 == 0) valid.push_back(p);
  // sched after the Gs: a dead G reused meanwhile has a new goid, below goidgen only when read now.
  // The G records are decoded as they arrive (in address order, batch by batch), so goidgen is
  // read first here and each record re-checked against a second read of it at the end.
  std::vector<uint8_t> sched(o.s_span);
  // Each G lands at its allgs index: the table keeps allgs's order.
  s.gs.resize(valid.size());
  std::vector<uint64_t> g_maddr(valid.size());  // each G's g.m, joined to an M id below
  std::vector<uint8_t> good(valid.size());
  const std::unique_ptr<uint8_t[]> rec(new uint8_t[o.g_span]);
  mem.read_records(valid, o.g_span, [&](size_t i, const uint8_t* bytes) {
    GoroG& g = s.gs[i];
    good[i] = bytes && r.decode_g(bytes, 0, &g);
    for (int k = 0; !good[i] && k < kGRetries; ++k)  // a torn record: read it again
      good[i] = mem.read(valid[i], rec.get(), o.g_span) && r.decode_g(bytes = rec.get(), 0, &g);
    if (good[i]) g_maddr[i] = field_value(bytes, o.g_m);
  });
  mem.read(o.sched + r.bias, sched.data(), sched.size());
  const uint64_t goidgen = field_value(sched.data(), o.s_goidgen);
  s.global_runq_len = std::min<uint64_t>(field_value(sched.data(), o.s_runqsize), kMaxGs);
  // g address -> index in s.gs, sorted by address (for the few M and P joins).
  std::vector<std::pair<uint64_t, size_t>> g_index;
  g_index.reserve(valid.size());
  size_t kept = 0;
  for (size_t i = 0; i < valid.size(); ++i) {
    GoroG& g = s.gs[i];
    if (good[i] && goidgen && g.goid > goidgen) {  // a goid not handed out yet: torn, read it again
      good[i] = mem.read(valid[i], rec.get(), o.g_span) && r.decode_g(rec.get(), goidgen, &g);
      if (good[i]) g_maddr[i] = field_value(rec.get(), o.g_m);
    }
    if (!good[i]) {
      ++s.torn;
      continue;
    }
    if (g.wait_since_ns && g.wait_since_ns < s.taken_ns) g.wait_ns = s.taken_ns - g.wait_since_ns;
    g_index.emplace_back(valid[i], kept);
    g_maddr[kept] = g_maddr[i];
    if (kept != i) s.gs[kept] = std::move(g);
    ++kept;
  }
  s.gs.resize(kept);
  g_maddr.resize(kept);
  std::sort(g_index.begin(), g_index.end());
  s.g_slots = static_cast<uint32_t>(std::min<uint64_t>(glen, UINT32_MAX));
  // g_at() is the index in s.gs of the G at address gp; nullopt for none read.
  auto g_at = [&](uint64_t gp) -> std::optional<size_t> {
    const auto it = std::lower_bound(g_index.begin(), g_index.end(), std::pair<uint64_t, size_t>{gp, 0});
    if (it == g_index.end() || it->first != gp) return std::nullopt;
    return it->second;
  };
  auto goid_at = [&](uint64_t gp) -> uint64_t {
    const auto i = g_at(gp);
    return i ? s.gs[*i].goid : 0;
  };

  // allm: a singly linked list through m.alllink, bounded and cycle-checked.
  std::unordered_map<uint64_t, int32_t> m_ids;  // m address -> id
  std::unordered_set<uint64_t> seen;
  std::vector<uint8_t> mrec(o.m_span);
  std::vector<uint64_t> m_p_addr;
  for (uint64_t mp = r.u64(o.allm); mp && seen.size() < kMaxMs && seen.insert(mp).second;) {
    if (!mem.read(mp, mrec.data(), mrec.size())) break;
    GoroM m;
    const int64_t id = static_cast<int64_t>(field_value(mrec.data(), o.m_id));
    if (id < 0 || id > static_cast<int64_t>(kMaxMs)) break;
    m.id = static_cast<uint32_t>(id);
    m.tid = static_cast<int32_t>(field_value(mrec.data(), o.m_procid));
    m.cur_goid = goid_at(field_value(mrec.data(), o.m_curg));
    m.spinning = field_value(mrec.data(), o.m_spinning) != 0;
    m.parked = field_value(mrec.data(), o.m_blocked) != 0;
    if (const uint64_t fv = field_value(mrec.data(), o.m_mstartfn); fv && o.sysmon_fn)
      m.sysmon = mem.value<uint64_t>(fv).value_or(0) == o.sysmon_fn + r.bias;
    if (const auto gi = g_at(field_value(mrec.data(), o.m_curg)))
      m.in_syscall = s.gs[*gi].state == GState::Syscall;
    m_ids[mp] = static_cast<int32_t>(m.id);
    m_p_addr.push_back(field_value(mrec.data(), o.m_p));  // joined to a P id below
    s.ms.push_back(m);
    mp = field_value(mrec.data(), o.m_alllink);
  }
  for (size_t i = 0; i < s.gs.size(); ++i) {
    const auto it = m_ids.find(g_maddr[i]);
    s.gs[i].m_id = it == m_ids.end() ? -1 : it->second;
  }

  // allp: a []*p of length gomaxprocs.
  uint64_t pslice[3] = {0, 0, 0};
  mem.read(o.allp + r.bias, pslice, sizeof pslice);
  const uint64_t np = std::min(pslice[1], kMaxPs);
  std::vector<uint64_t> pptrs(np);
  if (np && !mem.read(pslice[0], pptrs.data(), np * 8)) pptrs.clear();
  std::unordered_map<uint64_t, uint32_t> p_ids;  // p address -> id
  std::vector<uint8_t> prec(o.p_span);
  for (uint64_t pp : pptrs) {
    if (!mem.read(pp, prec.data(), prec.size())) continue;
    GoroP p;
    p.id = static_cast<uint32_t>(field_value(prec.data(), o.p_id));
    if (p.id >= kMaxPs || !go_pstatus(static_cast<uint32_t>(field_value(prec.data(), o.p_status)), &p.status)) {
      ++s.torn;
      continue;
    }
    const auto mit = m_ids.find(field_value(prec.data(), o.p_m));
    p.m_id = mit == m_ids.end() ? -1 : mit->second;
    const uint32_t head = static_cast<uint32_t>(field_value(prec.data(), o.p_runqhead));
    const uint32_t tail = static_cast<uint32_t>(field_value(prec.data(), o.p_runqtail));
    p.runnext_goid = goid_at(field_value(prec.data(), o.p_runnext));
    p.runq_len = std::min<uint32_t>(tail - head, 256) + (p.runnext_goid ? 1 : 0);
    p.schedtick = field_value(prec.data(), o.p_schedtick);
    p.syscalltick = field_value(prec.data(), o.p_syscalltick);
    p_ids[pp] = p.id;
    s.ps.push_back(p);
  }
  s.gomaxprocs = static_cast<uint32_t>(np);
  for (size_t i = 0; i < s.ms.size(); ++i) {
    const auto it = p_ids.find(m_p_addr[i]);
    s.ms[i].p_id = it == p_ids.end() ? -1 : static_cast<int32_t>(it->second);
  }
  std::sort(s.ms.begin(), s.ms.end(), [](const GoroM& a, const GoroM& b) { return a.id < b.id; });
  std::sort(s.ps.begin(), s.ps.end(), [](const GoroP& a, const GoroP& b) { return a.id < b.id; });
  // allgs grew or was reallocated meanwhile: the old array stays readable, so only this says so.
  t.moved = t.moved || r.u64(o.allglen) != glen || r.u64(o.allgs) != garr;
  return t;
}

}  // namespace

bool is_go_program(int32_t pid) {
  if (!sys::pid_alive(pid)) throw Gone("no process with pid " + std::to_string(pid));
  try {
    return open_exe(pid)->is_go();
  } catch (const Gone&) {
    throw;
  } catch (const Error&) {
    return false;
  }
}

// GoProcess::State is what one opening of a Go program keeps between reads.
struct GoProcess::State {
  std::unique_ptr<GoBinary> exe;
  GoOffsets o;
  uint64_t bias = 0;
  std::unique_ptr<RemoteMemory> mem;
  std::unique_ptr<Reader> r;
};

GoProcess::GoProcess(int32_t pid, const GoReadOptions& opt) : pid_(pid), attempts_(std::max(1, opt.attempts)), s_(new State) {
  const std::string pid_s = std::to_string(pid);
  if (!sys::pid_alive(pid)) throw Gone("no process with pid " + pid_s);
  try {
    s_->exe = open_exe(pid);
  } catch (const Gone&) {
    throw;
  } catch (const Error& e) {
    throw NotGo(e.what());  // an executable that cannot be read is not known as Go's (is_go_program())
  }
  const GoBinary& bin = *s_->exe;
  if (!bin.is_go()) throw NotGo("pid " + pid_s + " is not a Go program");
  if (opt.exe_dwarf) s_->exe->share_dwarf(opt.exe_dwarf);
  s_->o = load_offsets(bin, pid);
  s_->bias = load_bias(bin, pid);
  if (opt.after_binary) opt.after_binary();
  s_->mem = std::make_unique<RemoteMemory>(pid);
  s_->r.reset(new Reader{*s_->mem, bin, s_->o, s_->bias, wait_strings(*s_->mem, s_->o, s_->bias), {}});
}

GoProcess::~GoProcess() = default;

GoroSnapshot GoProcess::read() {
  GoroSnapshot s;
  for (int attempt = 0; attempt < attempts_; ++attempt) {
    Try t = read_once(*s_->r, pid_);
    s = std::move(t.s);
    if (!t.moved) break;
  }
  if (!sys::pid_alive(pid_)) throw Gone("no process with pid " + std::to_string(pid_) + " (it exited while being read)");
  const std::vector<int32_t> tids = procfs::proc_task_ids(pid_);
  if (!tids.empty())
    for (GoroM& m : s.ms) m.tid_alive = std::binary_search(tids.begin(), tids.end(), m.tid);
  return s;
}

GoroSnapshot read_go(int32_t pid, const GoReadOptions& opt) { return GoProcess(pid, opt).read(); }

}  // namespace ts::gort
