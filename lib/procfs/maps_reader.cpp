// maps_reader.cpp: gathering a process's maps, smaps, layout, ELF and thread stack pointers.
#include "procfs/maps_reader.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "model/error.h"
#include "procfs/maps_goro.h"
#include "procfs/maps_layout.h"
#include "procfs/maps_parse.h"
#include "procfs/maps_read_file.h"

namespace ts {

namespace {

[[noreturn]] void throw_gone(pid_t pid) { throw Error("no process with pid " + std::to_string(pid), 1); }

std::string denied_msg(const std::string& file) {
  return "cannot read " + file + ": permission denied (needs root or CAP_SYS_PTRACE)";
}

// read_or_note() reads an optional file: gone -> throw; other failures -> note and nullopt.
std::optional<std::string> read_or_note(pid_t pid, const std::string& file, std::vector<std::string>& notes) {
  FileRead r = read_proc_file(file);
  if (r.ok()) return std::move(r.text);
  if (is_gone_errno(r.error)) throw_gone(pid);
  notes.push_back(is_denied_errno(r.error) ? denied_msg(file) : "cannot read " + file + ": " + std::strerror(r.error));
  return std::nullopt;
}

// live_thread_maps() finds a thread of pid, other than the main thread, whose maps are not empty,
// and leaves them in `maps`; nullopt when there is none (a zombie, a kernel thread).
std::optional<pid_t> live_thread_maps(pid_t pid, FileRead& maps) {
  for (int32_t tid : task_tids(pid)) {
    if (tid == pid) continue;
    FileRead m = read_proc_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/maps");
    if (m.ok() && !m.text.empty()) {
      maps = std::move(m);
      return tid;
    }
  }
  return std::nullopt;
}

}  // namespace

VmStatus parse_vm_status(std::string_view text) {
  VmStatus st;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.starts_with("Vm") && !line.starts_with("Rss")) continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    uint64_t kb = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), kb);
    if (ec != std::errc() || kb > (UINT64_MAX >> 10)) continue;
    st.lines.emplace_back(std::string(line.substr(0, colon)), kb << 10);
  }
  return st;
}

ProcessMaps read_process_maps(pid_t pid, VmStatus* denied_status) {
  if (pid <= 0) throw_gone(pid);
  const std::string proc = "/proc/" + std::to_string(pid);
  ProcessMaps pm;
  pm.pid = pid;
  ClassifyInput in;
  in.pid = pid;
  std::vector<std::string> notes;

  FileRead maps = read_proc_file(proc + "/maps");
  if (is_gone_errno(maps.error)) throw_gone(pid);
  if (is_denied_errno(maps.error)) {
    if (denied_status)
      if (FileRead s = read_proc_file(proc + "/status"); s.ok()) *denied_status = parse_vm_status(s.text);
    throw Error(denied_msg(proc + "/maps"), 1);
  }
  if (!maps.ok()) throw Error("cannot read " + proc + "/maps: " + std::strerror(maps.error), 1);
  // `via` is the task whose /proc directory shows the address space: the process itself, or, when
  // its main thread has exited (pthread_exit in main) and so holds no mm, one of its live threads.
  pid_t via = pid;
  std::string dir = proc;
  if (maps.text.empty())
    if (std::optional<pid_t> t = live_thread_maps(pid, maps)) {
      via = *t;
      dir = proc + "/task/" + std::to_string(via);
      notes.push_back("the main thread " + std::to_string(pid) + " has exited; the address space is read through thread " +
                      std::to_string(via));
    }
  size_t skipped = 0;
  in.segments = parse_maps(maps.text, &skipped);
  if (in.segments.empty())
    throw Error("process " + std::to_string(pid) + " has no address space (a zombie or a kernel thread)", 1);
  {
    const std::optional<AddressLayout> l = read_layout(via);
    if (!l) throw_gone(pid);
    in.layout = *l;
  }
  if (FileRead c = read_proc_file(proc + "/comm"); c.ok()) {
    pm.comm = c.text;
    while (!pm.comm.empty() && pm.comm.back() == '\n') pm.comm.pop_back();
  }

  if (skipped) notes.push_back(std::to_string(skipped) + " malformed line(s) of " + dir + "/maps skipped");
  if (auto smaps = read_or_note(pid, dir + "/smaps", notes)) apply_smaps(in.segments, parse_smaps(*smaps));
  if (auto roll = read_or_note(pid, dir + "/smaps_rollup", notes)) pm.rollup = parse_smaps_rollup(*roll);

  char buf[4096];
  const ssize_t n = readlink((dir + "/exe").c_str(), buf, sizeof buf);
  if (n > 0) {
    // A path of PATH_MAX bytes may be cut short: then classify() falls back on start_code.
    if (static_cast<size_t>(n) < sizeof buf) in.exe.assign(buf, static_cast<size_t>(n));
    try {
      in.elf = read_elf_image(dir + "/exe");
      pm.size = in.elf->size;
    } catch (const Error& e) {
      notes.push_back(e.what());
    }
  } else if (is_gone_errno(errno)) {
    throw_gone(pid);
  } else {
    notes.push_back(is_denied_errno(errno) ? denied_msg(dir + "/exe") : "cannot read " + dir + "/exe: " + std::strerror(errno));
  }

  ThreadSps sps = read_thread_sps(pid);
  if (sps.found.empty() && sps.running.empty() && sps.denied.empty()) throw_gone(pid);
  in.threads = std::move(sps);
  in.goroutine_arena = read_goroutine_arena(pid, notes);

  pm.layout = in.layout;
  pm.layout.brk = pm.layout.start_brk;  // no [heap] mapping: the heap is empty
  for (const MemorySegment& s : in.segments)
    if (s.path == "[heap]") pm.layout.brk = s.end;
  pm.map = classify(in);
  pm.map.notes.insert(pm.map.notes.begin(), notes.begin(), notes.end());
  return pm;
}

}  // namespace ts
