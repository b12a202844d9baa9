// maps_classify.cpp: the classification of a process's mappings.
#include "procfs/maps_classify.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "format/units.h"
#include "procfs/maps_parse.h"

namespace ts {

namespace {

constexpr uint64_t kPage = 4096;

uint64_t page_down(uint64_t v) { return v & ~(kPage - 1); }

bool writable(const MemorySegment& s) { return s.perms.size() == 4 && s.perms[1] == 'w'; }
bool executable(const MemorySegment& s) { return s.perms.size() == 4 && s.perms[2] == 'x'; }
bool inaccessible(const MemorySegment& s) { return s.perms.size() == 4 && s.perms.compare(0, 3, "---") == 0; }
bool anonymous(const MemorySegment& s) { return s.path.empty(); }

std::string_view base_name(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// looks_like_library() is true for "libfoo.so", "libfoo.so.6", "ld-linux-x86-64.so.2".
bool looks_like_library(std::string_view path) {
  const std::string_view b = base_name(mapping_file(path));
  const size_t so = b.find(".so");
  return so != std::string_view::npos && (so + 3 == b.size() || b[so + 3] == '.');
}

bool shared_memory(std::string_view path) {
  return path.starts_with("/SYSV") || path.starts_with("/dev/shm/") || path.starts_with("/memfd:") ||
         path.starts_with("[anon_shmem:") || path.starts_with("[anon:");
}

// exe_path_of() is the path maps shows for the executable: /proc/PID/exe's target, else the
// file mapping that holds start_code.
std::string exe_path_of(const ClassifyInput& in) {
  if (!in.exe.empty()) return std::string(mapping_file(in.exe));
  if (in.layout.start_code == 0) return {};
  for (const MemorySegment& s : in.segments)
    if (s.start <= in.layout.start_code && in.layout.start_code < s.end && !anonymous(s) && !is_pseudo_path(s.path))
      return std::string(mapping_file(s.path));
  return {};
}

// load_bias_of() matches the executable's first mapping to the PT_LOAD that covers its file offset.
uint64_t load_bias_of(const std::vector<MemorySegment>& segs, const std::string& exe, const ElfImage& elf) {
  for (const MemorySegment& s : segs) {
    if (exe.empty() || mapping_file(s.path) != exe) continue;
    for (const ElfLoad& l : elf.loads)
      if (page_down(l.offset) == s.offset) return s.start - page_down(l.vaddr);
    return 0;
  }
  return 0;
}

// place_bss() measures where the bss ranges lie: in the data mapping's last page, in the anonymous
// mappings after it (which the kernel page-rounds), or in no mapping; the three add up to its size.
void place_bss(const std::vector<std::pair<uint64_t, uint64_t>>& ranges, const std::vector<MemorySegment>& segs, BssPlacement& b) {
  for (const MemorySegment& s : segs) {
    if (s.kind == SegmentKind::Bss) b.anonymous += s.size();
    // The executable's own rw (or, past RELRO, r--) mapping holds the zero-filled tail of its last page.
    if (s.kind != SegmentKind::Bss && s.kind != SegmentKind::Data && s.kind != SegmentKind::Rodata) continue;
    for (const auto& [lo, hi] : ranges) {
      const uint64_t from = std::max(lo, s.start), to = std::min(hi, s.end);
      if (from >= to) continue;
      (s.kind == SegmentKind::Bss ? b.in_anonymous : b.in_data_page) += to - from;
    }
  }
  b.unmapped = b.size - std::min(b.size, b.in_data_page + b.in_anonymous);
}

// tid_list() is "101,102,..." (at most 8 ids) for notes.
std::string tid_list(const std::vector<int32_t>& tids) {
  std::string s;
  for (size_t i = 0; i < tids.size() && i < 8; ++i) s += (i ? "," : "") + std::to_string(tids[i]);
  if (tids.size() > 8) s += ",...";
  return s;
}

// who_runs() is "thread 5 runs" or "threads 5,6 run".
std::string who_runs(const std::vector<int32_t>& tids) {
  return tids.size() == 1 ? "thread " + tid_list(tids) + " runs" : "threads " + tid_list(tids) + " run";
}

// place_goroutine_arena() names the anonymous mappings inside the runtime's G stack arena.
void place_goroutine_arena(const GoroutineArena& a, std::vector<MemorySegment>& segs, Classified& out) {
  size_t found = 0;
  for (MemorySegment& s : segs) {
    if (!anonymous(s) || s.end <= a.lo || a.hi <= s.start) continue;
    if (s.kind != SegmentKind::AnonMmap && s.kind != SegmentKind::Guard) continue;
    s.kind = SegmentKind::GoroutineStack;
    ++found;
    if (s.start < a.lo || a.hi < s.end)
      out.notes.push_back("mapping " + hex(s.start) + "-" + hex(s.end) + " reaches beyond the goroutine stack arena " +
                          hex(a.lo) + "-" + hex(a.hi) + " (merged with a neighbour): its sizes include that neighbour");
  }
  if (found) out.goroutine_arena = a;
  else
    out.notes.push_back("the goro runtime's stack arena " + hex(a.lo) + "-" + hex(a.hi) +
                        " is in no anonymous mapping: goroutine stacks are not told apart");
}

// place_thread_stacks() decides which anonymous mappings are threads' own stacks (see classify()).
void place_thread_stacks(const ClassifyInput& in, std::vector<MemorySegment>& segs, std::vector<std::string>& notes) {
  const std::string pid = std::to_string(in.pid);
  if (!in.threads) {
    notes.push_back("thread stacks not located: /proc/" + pid + "/task was not readable; they show as anon");
    return;
  }
  // Which threads' sps each mapping holds (segments are in address order: a binary search each).
  std::map<size_t, std::vector<ThreadSp>> on;
  for (const ThreadSp& t : in.threads->found) {
    auto it = std::partition_point(segs.begin(), segs.end(), [&](const MemorySegment& s) { return s.end <= t.sp; });
    if (it == segs.end() || t.sp < it->start) notes.push_back("thread " + std::to_string(t.tid) + ": its stack pointer is in no mapping");
    else on[static_cast<size_t>(it - segs.begin())].push_back(t);
  }
  for (auto& [i, sps] : on) {
    MemorySegment& s = segs[i];
    std::vector<int32_t> tids;
    for (const ThreadSp& t : sps) tids.push_back(t.tid);
    const std::string where = human_bytes(s.size()) + " " + segment_kind_name(s.kind) + " mapping at " + hex(s.start);
    if (s.kind == SegmentKind::MainStack) {
      std::vector<int32_t> others;
      for (int32_t tid : tids)
        if (tid == in.pid) s.tid = tid;
        else others.push_back(tid);
      if (!others.empty()) notes.push_back(who_runs(others) + " on the main stack");
      continue;
    }
    if (s.kind == SegmentKind::GoroutineStack) {
      notes.push_back(who_runs(tids) + (tids.size() == 1 ? " a goroutine (its stack pointer is in the goro stack arena): "
                                                          "its own thread stack is not located and shows as anon"
                                                        : " goroutines (their stack pointers are in the goro stack arena): "
                                                          "their own thread stacks are not located and show as anon"));
      continue;
    }
    if (s.kind != SegmentKind::AnonMmap) {
      notes.push_back(who_runs(tids) + " on a stack inside a " + segment_kind_name(s.kind) +
                      " mapping (a user-allocated stack)");
      continue;
    }
    if (tids.size() > 1) {
      notes.push_back(who_runs(tids) + " on stacks inside one " + where +
                      ": user-allocated stacks (coroutines?), not one thread's own; it stays anon");
      continue;
    }
    const int32_t tid = sps.front().tid;
    if (tid == in.pid) {
      notes.push_back("the main thread " + pid + " runs on a stack inside a " + where +
                      " (a user-allocated stack: coroutines?); its own stack is [stack]");
      continue;
    }
    const uint64_t above = s.end - sps.front().sp;
    if (s.rss_bytes >= 0) {
      const uint64_t touched = static_cast<uint64_t>(s.rss_bytes) + static_cast<uint64_t>(std::max<int64_t>(s.swap_bytes, 0));
      if (above > touched + kUntouchedStack) {
        notes.push_back("thread " + std::to_string(tid) + " runs " + human_bytes(above) + " below the top of a " + where +
                        " of which only " + human_bytes(touched) +
                        " was ever touched: a region it switched onto (coroutine stacks?), not its own stack; it stays anon");
        continue;
      }
    }
    s.kind = SegmentKind::ThreadStack;
    s.tid = tid;
    if (i > 0) {
      MemorySegment& below = segs[i - 1];
      if (below.end == s.start && inaccessible(below) && anonymous(below)) below.tid = tid;
    }
  }
  if (!in.threads->denied.empty())
    notes.push_back("thread stacks not located for " + std::to_string(in.threads->denied.size()) + " thread(s) (" +
                    tid_list(in.threads->denied) + "): /proc/" + pid +
                    "/task/TID/syscall needs root or CAP_SYS_PTRACE; their stacks show as anon");
  if (!in.threads->running.empty())
    notes.push_back("thread stacks not located for " + std::to_string(in.threads->running.size()) + " thread(s) (" +
                    tid_list(in.threads->running) + "): they kept running, and a running thread shows no stack pointer");
}

}  // namespace

Classified classify(const ClassifyInput& in) {
  Classified out;
  out.segments = in.segments;
  std::vector<MemorySegment>& segs = out.segments;
  out.exe_path = exe_path_of(in);
  if (out.exe_path.empty()) out.notes.push_back("executable not known: text, data and bss are not told apart");
  if (in.elf) out.load_bias = load_bias_of(segs, out.exe_path, *in.elf);
  else if (!out.exe_path.empty()) out.notes.push_back("executable's ELF headers unreadable: bss is not told apart");

  // The bss: PT_LOADs whose memsz exceeds filesz, shifted by the load bias.
  std::vector<std::pair<uint64_t, uint64_t>> bss;
  if (in.elf)
    for (const ElfLoad& l : in.elf->loads)
      if (l.memsz > l.filesz) {
        const uint64_t b = out.load_bias + l.vaddr + l.filesz, e = out.load_bias + l.vaddr + l.memsz;
        bss.emplace_back(b, e);
        if (out.bss.start == 0) out.bss.start = b;
        out.bss.end = std::max(out.bss.end, e);
        out.bss.size += e - b;
      }

  // Files with an executable mapping are loaded objects (libraries, the dynamic loader).
  std::set<std::string_view> code_files;
  for (const MemorySegment& s : segs)
    if (executable(s) && !anonymous(s) && !is_pseudo_path(s.path)) code_files.insert(mapping_file(s.path));

  for (MemorySegment& s : segs) {
    const std::string_view file = mapping_file(s.path);
    if (s.path == "[heap]") s.kind = SegmentKind::Heap;
    else if (s.path == "[stack]") s.kind = SegmentKind::MainStack;
    else if (s.path == "[vdso]") s.kind = SegmentKind::Vdso;
    else if (s.path == "[vvar]" || s.path == "[vvar_vclock]") s.kind = SegmentKind::Vvar;
    else if (s.path == "[vsyscall]") s.kind = SegmentKind::Vsyscall;
    else if (!out.exe_path.empty() && file == out.exe_path) {
      if (inaccessible(s)) s.kind = SegmentKind::Guard;
      else if (executable(s)) s.kind = SegmentKind::Text;
      else if (writable(s)) s.kind = SegmentKind::Data;
      else s.kind = SegmentKind::Rodata;
    } else if (anonymous(s)) {
      const bool in_bss = std::any_of(bss.begin(), bss.end(), [&](auto& r) { return s.start < r.second && r.first < s.end; });
      if (in_bss && !inaccessible(s)) {
        s.kind = SegmentKind::Bss;
      } else {
        s.kind = inaccessible(s) ? SegmentKind::Guard : SegmentKind::AnonMmap;
      }
    } else if (shared_memory(s.path)) {
      s.kind = SegmentKind::Other;
    } else if (is_pseudo_path(s.path)) {
      s.kind = SegmentKind::Other;
    } else if (code_files.count(file) || looks_like_library(s.path)) {
      s.kind = SegmentKind::SharedLib;
      s.library = std::string(base_name(file));
    } else {
      s.kind = inaccessible(s) ? SegmentKind::Guard : SegmentKind::FileMmap;
    }
    if (s.kind == SegmentKind::MainStack) s.tid = in.pid;
  }
  place_bss(bss, segs, out.bss);
  if (in.goroutine_arena) place_goroutine_arena(*in.goroutine_arena, segs, out);
  place_thread_stacks(in, segs, out.notes);
  return out;
}

}  // namespace ts
