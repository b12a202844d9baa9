// process_codec.cpp: process and task records, whole and as changes. A change list is a run of ops
// over the base list, walked with a cursor: SKIP n (base entries gone), COPY n (base entries
// unchanged), MOD (the base entry with a field mask and the changed fields: numbers as the zigzag
// difference, strings whole), NEW (a whole record); SKIP 0 ends the list.
#include "history/process_codec.h"

#include <limits>
#include <type_traits>
#include <utility>

namespace ts::history {

namespace {

enum Op : uint64_t { kSkip = 0, kCopy = 1, kMod = 2, kNew = 3 };

// task_fields() calls f on each Task member a record holds besides the tid (the tgid is the
// process's pid); the order is the mask's bit order.
template <class F>
void task_fields(F&& f) {
  f(&Task::ppid), f(&Task::comm), f(&Task::kthread), f(&Task::state), f(&Task::cpu), f(&Task::utime_ns);
  f(&Task::stime_ns), f(&Task::start_ns), f(&Task::nice), f(&Task::prio), f(&Task::rtprio), f(&Task::policy);
  f(&Task::nvcsw), f(&Task::nivcsw), f(&Task::run_delay_ns), f(&Task::pcount);
}
constexpr int kTaskFields = 16;

// process_fields() is task_fields() for a Process (its tasks are a list of their own).
template <class F>
void process_fields(F&& f) {
  f(&Process::ppid), f(&Process::uid), f(&Process::user), f(&Process::comm), f(&Process::cmdline), f(&Process::kthread);
  f(&Process::rss_bytes), f(&Process::vsize_bytes), f(&Process::nlwp), f(&Process::utime_ns), f(&Process::stime_ns);
}
constexpr int kProcessFields = 11;

// put() writes a value whole; put_change() writes how `cur` differs from `base`.
void put(BlobWriter& w, uint64_t v) { w.u(v); }
void put(BlobWriter& w, uint32_t v) { w.u(v); }
void put(BlobWriter& w, int32_t v) { w.i(v); }
void put(BlobWriter& w, bool v) { w.u(v); }
void put(BlobWriter& w, char v) { w.u(static_cast<uint8_t>(v)); }
void put(BlobWriter& w, SchedPolicy v) { w.i(static_cast<int32_t>(v)); }
void put(BlobWriter& w, const std::string& v) { w.s(v); }

void put_change(BlobWriter& w, uint64_t cur, uint64_t base) { w.i(static_cast<int64_t>(cur - base)); }
void put_change(BlobWriter& w, uint32_t cur, uint32_t base) { w.i(int64_t{cur} - int64_t{base}); }
void put_change(BlobWriter& w, int32_t cur, int32_t base) { w.i(int64_t{cur} - int64_t{base}); }
template <class T>
void put_change(BlobWriter& w, const T& cur, const T&) { put(w, cur); }

// get() reads a value put() wrote, checking its range; get_change() applies what put_change() wrote.
void get(BlobReader& r, uint64_t& v) { v = r.u(); }
void get(BlobReader& r, uint32_t& v) { v = r.u32(); }
void get(BlobReader& r, int32_t& v) { v = r.i32(); }
void get(BlobReader& r, bool& v) { v = r.u() != 0; }
void get(BlobReader& r, char& v) {
  const uint64_t x = r.u();
  if (x > 0x7f) r.fail("bad task state");
  v = static_cast<char>(x);
}
void get(BlobReader& r, SchedPolicy& v) {
  const int32_t x = r.i32();
  if (x < 0 || x > 6) r.fail("bad scheduling policy");
  v = static_cast<SchedPolicy>(x);
}
void get(BlobReader& r, std::string& v) { v = r.s(); }

void get_change(BlobReader& r, uint64_t& v) { v += static_cast<uint64_t>(r.i()); }
template <class T>
  requires std::is_same_v<T, uint32_t> || std::is_same_v<T, int32_t>
void get_change(BlobReader& r, T& v) {
  const int64_t x = static_cast<int64_t>(v) + r.i();
  if (x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max()) r.fail("value out of range");
  v = static_cast<T>(x);
}
template <class T>
void get_change(BlobReader& r, T& v) { get(r, v); }

// put_fields() writes the mask of the fields (by `fields`) in which cur and base differ, then those.
template <class T, class Fields>
void put_fields(BlobWriter& w, const T& cur, const T& base, Fields fields) {
  uint64_t mask = 0;
  int bit = 0;
  fields([&](auto m) { mask |= uint64_t{!(cur.*m == base.*m)} << bit++; });
  w.u(mask);
  bit = 0;
  fields([&](auto m) {
    if (mask >> bit++ & 1) put_change(w, cur.*m, base.*m);
  });
}

// get_fields() applies what put_fields() wrote to `v`.
template <class T, class Fields>
void get_fields(BlobReader& r, T& v, int nfields, Fields fields) {
  const uint64_t mask = r.u();
  if (mask >> nfields) r.fail("bad field mask");
  int bit = 0;
  fields([&](auto m) {
    if (mask >> bit++ & 1) get_change(r, v.*m);
  });
}

bool same_task(const Task& a, const Task& b) {
  bool eq = a.tid == b.tid && a.tgid == b.tgid;
  task_fields([&](auto m) { eq = eq && a.*m == b.*m; });
  return eq;
}

bool same_process(const Process& a, const Process& b) {
  bool eq = a.pid == b.pid && a.tasks.size() == b.tasks.size();
  process_fields([&](auto m) { eq = eq && a.*m == b.*m; });
  for (size_t k = 0; eq && k < a.tasks.size(); ++k) eq = same_task(a.tasks[k], b.tasks[k]);
  return eq;
}

void put_task(BlobWriter& w, const Task& t) {
  w.i(t.tid);
  task_fields([&](auto m) { put(w, t.*m); });
}

Task get_task(BlobReader& r, int32_t tgid) {
  Task t;
  t.tid = r.i32();
  t.tgid = tgid;
  task_fields([&](auto m) { get(r, t.*m); });
  return t;
}

void put_process(BlobWriter& w, const Process& p) {
  w.i(p.pid);
  process_fields([&](auto m) { put(w, p.*m); });
  w.u(p.tasks.size());
  for (const Task& t : p.tasks) put_task(w, t);
}

Process get_process(BlobReader& r) {
  Process p;
  p.pid = r.i32();
  process_fields([&](auto m) { get(r, p.*m); });
  const size_t n = r.count(20);
  p.tasks.reserve(n);
  for (size_t k = 0; k < n; ++k) p.tasks.push_back(get_task(r, p.pid));
  return p;
}

// put_list() writes the ops that turn `base` into `cur`. place() orders entries as both lists
// hold them; key() is an entry's identity (an entry whose identity changed is NEW).
template <class T, class Place, class Key, class Equal, class PutMod, class PutNew>
void put_list(BlobWriter& w, const std::vector<T>& base, const std::vector<T>& cur, Place place, Key key, Equal equal, PutMod put_mod,
              PutNew put_new) {
  uint64_t run_op = kSkip, run_n = 0;
  const auto flush = [&] {
    if (run_n) w.u(run_n << 2 | run_op);
    run_n = 0;
  };
  const auto run = [&](Op op) {
    if (run_op != op) flush();
    run_op = op;
    ++run_n;
  };
  size_t j = 0;
  for (const T& c : cur) {
    while (j < base.size() && place(base[j]) < place(c)) run(kSkip), ++j;
    if (j < base.size() && key(base[j]) == key(c)) {
      if (equal(base[j], c)) {
        run(kCopy);
      } else {
        flush();
        w.u(kMod);
        put_mod(base[j], c);
      }
      ++j;
    } else {
      flush();
      w.u(kNew);
      put_new(c);
    }
  }
  flush();
  w.u(kSkip);  // SKIP 0: the end
}

// get_list() applies the ops put_list() wrote to `base`.
template <class T, class GetMod, class GetNew>
std::vector<T> get_list(BlobReader& r, std::vector<T>&& base, GetMod get_mod, GetNew get_new) {
  std::vector<T> out;
  out.reserve(base.size());
  size_t j = 0;
  for (;;) {
    const uint64_t v = r.u();
    const uint64_t op = v & 3, n = v >> 2;
    if (op == kSkip && n == 0) return out;
    if ((op == kSkip || op == kCopy) && n > base.size() - j) r.fail("change list runs past the sample before");
    if ((op == kMod || op == kNew) && n != 0) r.fail("bad change op");
    if (op == kSkip) {
      j += n;
    } else if (op == kCopy) {
      for (uint64_t k = 0; k < n; ++k) out.push_back(std::move(base[j++]));
    } else if (op == kMod) {
      if (j == base.size()) r.fail("change list runs past the sample before");
      T t = std::move(base[j++]);
      get_mod(t);
      out.push_back(std::move(t));
    } else {
      out.push_back(get_new());
    }
  }
}

// task_place() is a task's position in its process (the leader first, then by tid).
int64_t task_place(const Task& t) { return t.is_leader() ? int64_t{-1} : int64_t{t.tid}; }

void put_tasks_delta(BlobWriter& w, const std::vector<Task>& base, const std::vector<Task>& cur) {
  put_list(
      w, base, cur, task_place, [](const Task& t) { return std::pair(t.tid, t.start_ns); }, same_task,
      [&](const Task& b, const Task& c) { put_fields(w, c, b, [](auto f) { task_fields(f); }); },
      [&](const Task& c) { put_task(w, c); });
}

}  // namespace

void put_processes(BlobWriter& w, const std::vector<Process>& ps) {
  w.u(ps.size());
  for (const Process& p : ps) put_process(w, p);
}

std::vector<Process> get_processes(BlobReader& r) {
  std::vector<Process> out;
  const size_t np = r.count(16);
  out.reserve(np);
  for (size_t k = 0; k < np; ++k) {
    out.push_back(get_process(r));
    if (k && out.back().pid <= out[k - 1].pid) r.fail("processes out of pid order");
  }
  return out;
}

void put_processes_delta(BlobWriter& w, const std::vector<Process>& base, const std::vector<Process>& cur) {
  put_list(
      w, base, cur, [](const Process& p) { return p.pid; }, [](const Process& p) { return p.pid; }, same_process,
      [&](const Process& b, const Process& c) {
        put_fields(w, c, b, [](auto f) { process_fields(f); });
        put_tasks_delta(w, b.tasks, c.tasks);
      },
      [&](const Process& c) { put_process(w, c); });
}

std::vector<Process> get_processes_delta(BlobReader& r, std::vector<Process>&& base) {
  std::vector<Process> out = get_list(
      r, std::move(base),
      [&](Process& p) {
        get_fields(r, p, kProcessFields, [](auto f) { process_fields(f); });
        p.tasks = get_list(
            r, std::move(p.tasks), [&](Task& t) { get_fields(r, t, kTaskFields, [](auto f) { task_fields(f); }); },
            [&] { return get_task(r, p.pid); });
      },
      [&] { return get_process(r); });
  for (size_t k = 1; k < out.size(); ++k)
    if (out[k].pid <= out[k - 1].pid) r.fail("processes out of pid order");
  return out;
}

}  // namespace ts::history
