// proc_named.cpp: a process from its status and stat, a task from its stat, read through ProcFiles.
#include "procfs/proc_named.h"

#include <string>
#include <string_view>

#include "procfs/proc_text.h"
#include "sys/text.h"

namespace ts::procfs {

namespace {

constexpr uint64_t kPfKthread = 0x00200000;  // PF_KTHREAD in stat's flags

}  // namespace

std::optional<Process> named_process(ProcFiles& files, int32_t pid, const Request& req, sys::UserNames& users,
                                     uint64_t ns_per_tick) {
  char buf[8192];
  ssize_t n = files.read(pid, ProcessFile::Status, buf, sizeof buf);
  StatusProcess status;
  // A thread's id is a hidden but readable /proc entry: not a process.
  if (n <= 0 || !parse_status_process(std::string_view(buf, static_cast<size_t>(n)), status) || status.tgid != pid) return std::nullopt;
  n = files.read(pid, ProcessFile::Stat, buf, sizeof buf);
  StatLine st;
  if (n <= 0 || !parse_stat(std::string_view(buf, static_cast<size_t>(n)), st)) return std::nullopt;  // gone
  const bool kthread = (st.flags & kPfKthread) != 0;
  if (kthread && !req.kernel_threads) return std::nullopt;
  Process p;
  p.pid = pid;
  p.ppid = st.ppid;
  p.comm = std::move(st.comm);  // the kernel's bytes
  p.kthread = kthread;
  p.nlwp = st.num_threads;
  if (has(req.fields, Field::Times)) {  // the group's: exited threads included
    p.utime_ns = st.utime * ns_per_tick;
    p.stime_ns = st.stime * ns_per_tick;
  }
  if (has(req.fields, Field::Memory)) {
    p.rss_bytes = status.vm_rss_kb * 1024;  // VmRSS, as procps 4's ps (stat's rss lags it)
    p.vsize_bytes = st.vsize;
  }
  if (has(req.fields, Field::User)) {
    p.uid = status.euid;
    p.user = users.name(p.uid);
  }
  std::string raw;
  if (has(req.fields, Field::Cmdline) && !kthread && files.cmdline(pid, raw)) p.cmdline = sys::join_argv(std::string_view(raw));
  return p;
}

std::optional<Task> named_task(ProcFiles& files, int32_t tgid, int32_t tid, Fields f, uint64_t ns_per_tick,
                               uint64_t* start_ticks) {
  char buf[4096];
  const ssize_t n = files.read(tgid, tid, TaskFile::Stat, buf, sizeof buf);
  StatLine st;
  if (n <= 0 || !parse_stat(std::string_view(buf, static_cast<size_t>(n)), st)) return std::nullopt;  // exited
  Task t;
  t.tid = tid;
  t.tgid = tgid;
  t.ppid = st.ppid;
  t.comm = std::move(st.comm);
  t.kthread = (st.flags & kPfKthread) != 0;
  if (has(f, Field::State)) {
    t.state = st.state;
    t.cpu = st.processor;
  }
  if (has(f, Field::Times)) {
    t.utime_ns = st.utime * ns_per_tick;
    t.stime_ns = st.stime * ns_per_tick;
    t.start_ns = st.starttime * ns_per_tick;
  }
  if (has(f, Field::Sched)) {
    t.nice = st.nice;
    t.prio = st.priority;
    t.rtprio = static_cast<int32_t>(st.rt_priority);
    t.policy = static_cast<SchedPolicy>(st.policy);
  }
  *start_ticks = st.starttime;
  return t;
}

}  // namespace ts::procfs
