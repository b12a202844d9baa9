// format.cpp: a Dump as gdb's and Go's dumps print it, and as NDJSON.
#include "stack/format.h"

#include <cinttypes>
#include <cstdio>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <nlohmann/json.hpp>

#include "format/ndjson.h"
#include "format/units.h"
#include "gort/go_traceback.h"
#include "sym/proc_symbols.h"
#include "sys/text.h"

namespace ts::stack {
namespace {

using sys::printable;

constexpr std::string_view kRuntimeHeaders = "include/goro/";

std::string addr16(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
  return buf;
}

// display() is a function as a call: a C++ name keeps its parameter list, a C name gets "()".
std::string display(const std::string& fn, const char* parens) {
  if (fn.empty()) return std::string("??");
  return fn.find('(') == std::string::npos ? fn + parens : fn;
}

// where() is "module+0xADDR, build-id HEX": enough to symbolize the frame elsewhere.
std::string where(const Frame& f) {
  if (f.module.empty()) return "";
  std::string s = f.module + "+" + hex(f.module_addr);
  if (!f.build_id.empty()) s += ", build-id " + f.build_id;
  return s;
}

// is_go() tells whether the dump's Gs are a Go program's (else goro's, or none).
bool is_go(const Dump& d) { return go_runtime(d.runtime); }

void print_thread(std::ostream& out, const ThreadStack& t, const PrintOptions& po, const char* runtime) {
  out << "Thread " << t.number << " (LWP " << t.tid << " \"" << printable(t.name) << "\") [" << t.state << ' '
      << state_name(t.state);
  if (!t.syscall.empty()) out << ", in " << t.syscall << (t.syscall_restarted ? " (restarted after a stop)" : "");
  if (t.goro_m >= 0) {
    out << ", " << runtime << " M" << t.goro_m;
    if (t.goro_g) out << " running goroutine " << t.goro_g;
  }
  out << "]:\n";
  for (size_t i = 0; i < t.frames.size(); ++i) {
    const Frame& f = t.frames[i];
    out << '#' << i << (i < 10 ? "  " : " ");
    if (!f.caller_of_inline) out << addr16(f.pc) << " in ";
    const bool src = po.source && !f.file.empty() && f.line > 0;
    if (src) {
      out << printable(display(f.function, " ()")) << " at " << printable(f.file) << ':' << f.line << '\n';
      continue;
    }
    std::string fn = f.function.empty() ? "??" : f.function;
    if (!f.function.empty() && !f.inlined && !f.caller_of_inline) fn += "+" + hex(f.offset);
    out << printable(fn);
    if (const std::string w = where(f); !w.empty()) out << " (" << printable(w) << ')';
    out << '\n';
  }
  if (!t.note.empty()) out << (t.frames.empty() ? "" : "Backtrace stopped: ") << printable(t.note) << '\n';
  if (!t.kernel.empty()) {
    out << "Kernel stack:\n";
    for (const std::string& k : t.kernel) out << "    " << printable(k) << '\n';
  }
}

// g_status() is the bracket of Go's goroutine header: the wait reason (else the state), and the
// minutes it has waited or been in a system call when that is a minute or more.
std::string g_status(const GoroG& g) {
  const std::string why = g_wait_text(g);
  std::string s = why.empty() ? gstate_name(g.state) : why;
  if ((g.state == GState::Waiting || g.state == GState::Syscall) && g.wait_ns >= 60'000'000'000ull) {
    const uint64_t min = g.wait_ns / 60'000'000'000ull;
    s += ", " + std::to_string(min) + (min == 1 ? " minute" : " minutes");
  }
  return s;
}

// go_frame() prints one frame as Go does: "func(args)" then "\tfile:line +0xoff" (inlined calls:
// "(...)" and no offset).
// A Go name always gets "(...)": its receiver's parentheses ("runtime.(*mheap).alloc") are not a
// parameter list; Go omits the offset at a function's entry (a G that never ran).
void go_frame(std::ostream& out, const Frame& f, bool go) {
  out << printable(go && !f.function.empty() ? f.function + "(...)" : display(f.function, "(...)")) << "\n\t";
  if (!f.file.empty() && f.line > 0) out << printable(f.file) << ':' << f.line;
  else out << printable(f.module_path.empty() ? "?" : f.module_path) << ":0";
  if (!f.inlined && !(go && f.offset == 0)) out << " +" << hex(f.offset);
  out << '\n';
}

void print_g(std::ostream& out, const GStack& g, const Dump& d) {
  out << "goroutine " << g.g.goid << " [" << g_status(g.g) << "]:\n";
  if (g.tid && g.frames.empty()) {
    out << "\tgoroutine running on other thread; stack unavailable: see Thread ";
    if (g.thread_number) out << g.thread_number << ' ';
    out << "(LWP " << g.tid << ", M" << g.g.m_id << ") above\n";
  }
  // Frames below the G's entry (goro_g_main, goro_gstart) are the runtime's, as Go hides goexit.
  for (const Frame& f : g.frames) {
    go_frame(out, f, is_go(d));
    if (f.function.starts_with("void goro::detail::g_trampoline<") || f.function.starts_with("goro::detail::g_trampoline<"))
      break;
  }
  if (!g.note.empty()) out << "\t(" << printable(g.note) << ")\n";
  if (is_go(d)) {
    // Go's own trailer, as the program's Go version words it.
    const std::string cb = gort::go_created_by(g.created_by_go, g.g.goid, g.g.parent_goid, d.runtime);
    for (size_t at = 0, nl; at < cb.size(); at = nl + 1) {  // each line sanitized, its tab kept
      nl = std::min(cb.find('\n', at), cb.size());
      const bool tab = cb[at] == '\t';
      out << (tab ? "\t" : "") << printable(cb.substr(at + tab, nl - at - tab)) << '\n';
    }
    return;
  }
  if (g.g.parent_goid && !g.created_by.empty()) {
    // Go's "created by F in goroutine N": the innermost caller outside goro's own headers.
    const Frame* site = &g.created_by.back();
    for (const Frame& f : g.created_by)
      if (f.file.find(kRuntimeHeaders) == std::string::npos && f.line > 0) {
        site = &f;
        break;
      }
    const std::string& phys = g.created_by.back().function;
    const std::string fn = site->function.find("::") != std::string::npos || phys.empty() ? site->function : phys;
    out << "created by " << printable(sym::short_function(fn.empty() ? "??" : fn)) << " in goroutine "
        << g.g.parent_goid << "\n\t";
    if (!site->file.empty() && site->line > 0) out << printable(site->file) << ':' << site->line;
    else out << printable(site->module_path.empty() ? "?" : site->module_path) << ":0";
    out << " +" << hex(site->offset) << '\n';
  }
}

nlohmann::json frame_json(const Frame& f) {
  nlohmann::json j{{"pc", hex(f.pc)},
                   {"function", f.function.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.function)},
                   {"file", f.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.file)},
                   {"line", f.line > 0 ? nlohmann::json(f.line) : nlohmann::json(nullptr)},
                   {"inline", f.inlined},
                   {"module", f.module.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.module)},
                   {"offset", f.offset}};
  if (!f.module.empty()) {
    j["module_addr"] = hex(f.module_addr);
    j["module_path"] = f.module_path;
  }
  if (!f.build_id.empty()) j["build_id"] = f.build_id;
  return j;
}

// FramesJson writes frame arrays as JSON text, each distinct frame formatted once: a thousand
// threads parked in the same code share their frames, and building a JSON object per frame was
// most of `stack --json` at 1000 threads.
class FramesJson {
 public:
  // array() is `frames` as a JSON array, byte for byte what json_line() writes for it.
  std::string array(const std::vector<Frame>& frames) {
    std::string a = "[";
    for (const Frame& f : frames) {
      if (a.size() > 1) a += ',';
      auto it = cache_.find(Key{f.pc, f.line, f.inlined, &f});
      if (it == cache_.end()) {
        owned_.push_back(f);  // a key's frame outlives the caller's vector
        it = cache_.emplace(Key{f.pc, f.line, f.inlined, &owned_.back()}, json_line(frame_json(f))).first;
      }
      a += it->second;
    }
    return a + ']';
  }

 private:
  // Key is a frame by value (the frame it points to compares all its fields).
  struct Key {
    uint64_t pc;
    int line;
    bool inlined;
    const Frame* frame;
    bool operator==(const Key& o) const {
      const Frame &a = *frame, &b = *o.frame;
      return pc == o.pc && line == o.line && inlined == o.inlined && a.function == b.function && a.file == b.file &&
             a.module == b.module && a.offset == b.offset && a.module_addr == b.module_addr &&
             a.module_path == b.module_path && a.build_id == b.build_id;
    }
  };
  struct Hash {
    size_t operator()(const Key& k) const {
      return std::hash<uint64_t>()(k.pc) ^ (std::hash<std::string>()(k.frame->function) << 1) ^
             static_cast<size_t>(k.line) * 31 ^ k.inlined;
    }
  };
  std::unordered_map<Key, std::string, Hash> cache_;
  std::deque<Frame> owned_;
};

// splice() replaces the placeholder `"KEY":null` in a line json_line() wrote with `"KEY":value`.
// Placeholders are keys that sort before every string from the target, so the first match is the
// key itself (a string value's quotes are escaped anyway).
void splice(std::string& line, std::string_view key, const std::string& value) {
  const std::string hole = "\"" + std::string(key) + "\":null";
  const size_t at = line.find(hole);
  if (at != std::string::npos) line.replace(at + hole.size() - 4, 4, value);
}

std::string ms(uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(ns) / 1e6);
  return buf;
}

}  // namespace

const char* state_name(char state) {
  switch (state) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "disk sleep";
    case 'T': return "stopped";
    case 't': return "tracing stop";
    case 'Z': return "zombie";
    case 'X': return "dead";
    case 'I': return "idle";
    case 'P': return "parked";
  }
  return "unknown";
}

void print_text(std::ostream& out, const Dump& d, const PrintOptions& po) {
  bool first = true;
  for (const ThreadStack& t : d.threads) {
    if (!first) out << '\n';
    first = false;
    print_thread(out, t, po, is_go(d) ? "Go" : "goro");
  }
  if (po.goroutines)
    for (const GStack& g : d.gs) {
      out << '\n';
      print_g(out, g, d);
    }
  size_t nostop = 0, stopped = 0;
  for (const ThreadStack& t : d.threads) {
    nostop += t.capture == Capture::NoStop || t.capture == Capture::Frozen;
    stopped += t.capture == Capture::Stopped;
  }
  out << '\n';
  if (stopped == 0)
    out << "Longest stop: none: no thread was stopped (" << nostop << " of " << d.threads.size()
        << " read without a stop)\n";
  else
    out << "Longest stop: " << ms(d.longest_stop_ns) << " (LWP " << d.longest_stop_tid << "); " << stopped << " of "
        << d.threads.size() << " threads stopped" << (d.job_stopped ? "" : " one at a time")
        << ", " << nostop << " read without a stop\n";
}

void print_json(std::ostream& out, const Dump& d) {
  FramesJson frames;
  for (const ThreadStack& t : d.threads) {
    nlohmann::json j{{"type", "thread"},
                     {"pid", d.pid},
                     {"tid", t.tid},
                     {"thread", t.number},
                     {"name", t.name},
                     {"state", std::string(1, t.state)},
                     {"syscall", t.syscall.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.syscall)},
                     {"capture", capture_name(t.capture)},
                     {"stopped_ns", t.stopped_ns},
                     {"complete", t.unwind_complete},
                     {"frames", nullptr}};
    if (t.syscall_restarted) j["syscall_restarted"] = true;
    if (t.goro_m >= 0) j["goro_m"] = t.goro_m;
    if (t.goro_g) j["goro_g"] = t.goro_g;
    if (!t.kernel.empty()) j["kernel"] = t.kernel;
    if (!t.note.empty()) j["note"] = t.note;
    std::string line = json_line(j);
    splice(line, "frames", frames.array(t.frames));
    out << line << '\n';
  }
  for (const GStack& g : d.gs) {
    nlohmann::json j{{"type", "goroutine"},
                     {"pid", d.pid},
                     {"goid", g.g.goid},
                     {"state", gstate_name(g.g.state)},
                     {"wait_reason", g_wait_text(g.g)},
                     {"wait_ns", g.g.wait_ns},
                     {"parent_goid", g.g.parent_goid ? nlohmann::json(g.g.parent_goid) : nlohmann::json(nullptr)},
                     {"m", g.g.m_id >= 0 ? nlohmann::json(g.g.m_id) : nlohmann::json(nullptr)},
                     {"tid", g.tid ? nlohmann::json(g.tid) : nlohmann::json(nullptr)},
                     {"frames", nullptr},
                     {"created_by", nullptr}};
    if (!g.note.empty()) j["note"] = g.note;
    std::string line = json_line(j);
    splice(line, "created_by", frames.array(g.created_by));
    splice(line, "frames", frames.array(g.frames));
    out << line << '\n';
  }
  nlohmann::json end{{"type", "end"},
                     {"pid", d.pid},
                     {"threads", d.threads.size()},
                     {"goroutines", d.gs.size()},
                     {"longest_stop_ns", d.longest_stop_ns},
                     {"longest_stop_tid", d.longest_stop_tid ? nlohmann::json(d.longest_stop_tid) : nlohmann::json(nullptr)},
                     {"capture_ns", d.capture_ns},
                     {"total_ns", d.total_ns},
                     {"job_stopped", d.job_stopped},
                     {"notes", d.notes}};
  out << json_line(end) << '\n';
}

void print_notes(std::ostream& err, const Dump& d) {
  for (const std::string& n : d.notes) err << "taskscope: " << printable(n) << '\n';
}

}  // namespace ts::stack
