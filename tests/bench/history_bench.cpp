// history_bench: what `taskscope record` costs and what replay takes.
//  1. The recorder at 1 s with 10,000 threads (--threads), its CPU time over the run as a share of
//     one core (goal <= 0.5%), and its bytes per sample beside `atop -w` (Debian's atop) recording
//     the same machine at the same interval in the same run.
//     Beside it, the writer's own share (encode, delta, zstd, SQLite: the recorded samples appended
//     again, in this process, timed by this thread's CPU time), apart from the collector's, and
//     the key and delta sizes; then a jump to the recording's last sample (its key and every delta
//     since, of 10k threads). Last, one pass split by part in this process: the BPF walk program
//     (with and without argv), the snapshot around it, the sample's delta, zstd and SQLite.
//  2. Jumping to a random time in a synthetic 24 h recording (86,400 samples of 300 processes at
//     1 s, built once under BUILD/bench-data): median and worst of 50 jumps (goal <= 50 ms). A jump
//     is what `ps --replay --at` and a replay key do: find the sample, decode its key and the
//     deltas up to it and the one before, compute the rates, read the events.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bpf/task_reader.h"
#include "history/compress.h"
#include "history/db.h"
#include "history/reader.h"
#include "history/replay.h"
#include "history/sample.h"
#include "history/writer.h"
#include "model/error.h"
#include "sources/make_source.h"
#include "sys/clock.h"
#include "view/frame.h"

namespace fs = std::filesystem;
using namespace ts;

namespace {

constexpr int kThreads = 10000;
constexpr int kSeconds = 40;
constexpr int kSteadyFrom = 6;  // the recorder's steady state: from this sample on

// start() runs argv with stdin from a pipe (whose write end is returned in *in) and stdout to `out`.
pid_t start(const std::vector<std::string>& argv, int* in, int out) {
  int p[2];
  if (pipe(p) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(p[0], 0);
    if (out >= 0) dup2(out, 1);
    close(p[1]);
    std::vector<char*> a;
    for (const std::string& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execvp(a[0], a.data());
    _exit(127);
  }
  close(p[0]);
  *in = p[1];
  return pid;
}

// cpu_of() waits for `pid` and returns its CPU seconds (user + system).
double cpu_of(pid_t pid) {
  int st = 0;
  rusage ru{};
  wait4(pid, &st, 0, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// thread_cpu_s() is this thread's CPU time so far (exact: getrusage's is sampled at ticks).
double thread_cpu_s() { return static_cast<double>(sys::thread_cpu_ns()) / 1e9; }

uint64_t file_bytes(const std::string& p) {
  uint64_t n = 0;
  for (const std::string& f : {p, p + "-wal"}) {
    struct stat st {};
    if (stat(f.c_str(), &st) == 0) n += static_cast<uint64_t>(st.st_size);
  }
  return n;
}

// writer_share() appends the samples of recording `ours` again to a new file (durable, as the
// recorder writes) and prints the writer's own CPU per sample, the key and delta sizes, and a jump
// to the last sample.
void writer_share(const std::string& ours, const std::string& dir) {
  const std::string again = dir + "/record-again.db";
  fs::remove(again), fs::remove(again + "-wal"), fs::remove(again + "-shm");
  const history::Reader r(ours);
  std::vector<std::shared_ptr<view::Frame>> frames;
  std::optional<history::Sample> prev;
  for (auto ref = std::optional<history::SampleRef>(r.first()); ref; ref = r.after(ref->id)) {
    history::Sample s = r.load(ref->id);
    frames.push_back(history::make_frame(s, prev ? &*prev : nullptr, r.events(ref->id), frames.size() + 1));
    prev = std::move(s);
  }
  if (frames.size() < 2) return;
  history::Writer w(again, {});
  double cpu = 0;
  uint64_t key_bytes = 0, delta_bytes = 0, keys = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    const double a = thread_cpu_s();
    const auto st = w.append(*frames[i], true, 1'790'000'000'000'000'000ull + i * 1'000'000'000);
    if (i) cpu += thread_cpu_s() - a;  // the first is a key: the steady state is deltas
    (st.key ? key_bytes : delta_bytes) += st.stored_bytes;
    keys += st.key;
  }
  const double per = cpu / static_cast<double>(frames.size() - 1);
  std::printf("  of which the writer (encode, delta, zstd, SQLite FULL)  %.2f ms CPU a sample = %.3f%% of a core at -d 1;"
              " key %llu bytes, delta %.0f bytes (zstd)\n",
              per * 1e3, per * 100, static_cast<unsigned long long>(key_bytes / std::max<uint64_t>(keys, 1)),
              static_cast<double>(delta_bytes) / static_cast<double>(frames.size() - keys));
  const history::Reader again_r(again);
  const uint64_t a = sys::monotonic_ns();
  const auto f = history::replay_frame(again_r, again_r.last());
  std::printf("  jump to the last sample (a key and %zu deltas of %zu tasks): %.1f ms\n", frames.size() - 1, f->snap.task_count(),
              static_cast<double>(sys::monotonic_ns() - a) / 1e6);
}

// split() is what one recorder pass at this machine's task count costs, by part, in this process
// (this thread's CPU time, the mean of kPasses passes after a warm-up): the BPF walk program
// (TaskReader::read_all, the recorder's want), the snapshot built around it (the BPF source's
// snapshot, completed from /proc, minus the walk), the sample (frame_head() and the delta encoding),
// zstd, and SQLite (Writer::append minus the two before it: the commit, synced). The sample is
// encoded as the recorder's writer does, from the shared frame against the frame before it.
void split(const std::string& dir) {
  constexpr int kPasses = 20;
  setenv("TASKSCOPE_BPF_WALK", "on", 1);  // as the recorder once the walk is loaded
  std::unique_ptr<Source> src = make_source(SourceKind::Bpf, nullptr, SourceUse::Repeating);
  std::unique_ptr<bpf::TaskReader> walk = bpf::load_walk();
  unsetenv("TASKSCOPE_BPF_WALK");
  Request req;
  req.fields = kAllFields & ~static_cast<Fields>(Field::Layout);  // the recorder's (history/recorder.cpp)
  req.argv_once = true;
  const std::string path = dir + "/split.db";
  fs::remove(path), fs::remove(path + "-wal"), fs::remove(path + "-shm");
  history::Writer w(path, {});
  double t_walk = 0, t_noargv = 0, t_snap = 0, t_sample = 0, t_zstd = 0, t_append = 0;
  size_t tasks = 0;
  std::shared_ptr<const view::Frame> prev;  // as the recorder's writer: the last frame is the delta's base
  for (int i = -1; i < kPasses; ++i) {
    double a = thread_cpu_s();
    const size_t n = walk->read_all(bpf::kWantAll).size();
    const double walk_s = thread_cpu_s() - a;
    a = thread_cpu_s();
    walk->read_all(bpf::kWantMm);
    const double noargv_s = thread_cpu_s() - a;
    a = thread_cpu_s();
    auto f = std::make_shared<view::Frame>();
    f->snap = src->snapshot(req);
    f->taken_ns = f->snap.taken_ns;
    const double snap_s = thread_cpu_s() - a;
    a = thread_cpu_s();
    const history::Sample head = history::frame_head(*f);
    const std::string raw = history::encode(head, f->snap.processes, prev ? &prev->snap.processes : nullptr);
    const double sample_s = thread_cpu_s() - a;
    a = thread_cpu_s();
    const std::string packed = history::compress(raw);
    const double zstd_s = thread_cpu_s() - a;
    a = thread_cpu_s();
    w.append(std::shared_ptr<const view::Frame>(f), true, 1'790'000'000'000'000'000ull + static_cast<uint64_t>(i + 1) * 1'000'000'000);
    const double append_s = thread_cpu_s() - a;
    prev = std::move(f);
    if (i < 1) continue;  // the warm-up, and the first append (a key)
    t_walk += walk_s, t_noargv += noargv_s, t_snap += snap_s, t_sample += sample_s, t_zstd += zstd_s, t_append += append_s;
    tasks = n;
  }
  const double k = 1e3 / (kPasses - 1);
  const double snap_only = t_snap - t_walk, sqlite = t_append - t_sample - t_zstd;
  std::printf("  a pass by part (this process, %zu tasks, mean of %d): walk program %.2f ms (%.2f without argv, as the recorder's after its first), snapshot around it %.2f ms, "
              "sample (head + delta) %.2f ms, zstd %.2f ms, SQLite %.2f ms: %.2f ms = %.3f%% of a core at -d 1\n",
              tasks, kPasses - 1, t_walk * k, t_noargv * k, snap_only * k, t_sample * k, t_zstd * k, sqlite * k, (t_snap + t_append) * k,
              (t_snap + t_append) * k / 10);
}

void recorder_cost(const std::string& build, const std::string& dir) {
  int fx_in = -1;
  int out[2];
  if (pipe(out) != 0) return;
  const pid_t fx = start({build + "/fixtures/many_threads", std::to_string(kThreads)}, &fx_in, out[1]);
  close(out[1]);
  char buf[256];
  if (read(out[0], buf, sizeof buf) <= 0) {
    std::printf("many_threads did not start\n");
    return;
  }
  const std::string ours = dir + "/record.db", theirs = dir + "/atop.raw";
  fs::remove(ours), fs::remove(ours + "-wal"), fs::remove(ours + "-shm"), fs::remove(theirs);
  int in1 = -1, in2 = -1;
  const pid_t rec = start({build + "/bin/taskscope", "record", "-d", "1", "--threads", "--retain", "7d", "-n", std::to_string(kSeconds), "-o", ours}, &in1, -1);
  const pid_t atop = start({"atop", "-w", theirs, "1", std::to_string(kSeconds)}, &in2, -1);
  // Steady state: the recorder's CPU time (every thread's, exact: its CPU clock) from its
  // kSteadyFrom-th sample to its next to last; loading the BPF programs (the walk's verifier runs
  // on a thread of its own for a few seconds) and the first passes are startup.
  struct Mark {
    uint64_t cpu_ns = 0, mono_ns = 0;
  };
  std::optional<Mark> from, to;
  for (int i = 0; i < 20 * (kSeconds + 30) && !to; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    try {
      history::Reader r(ours);
      const int64_t n = r.count();
      if (!from && n >= kSteadyFrom) from = Mark{sys::process_cpu_ns(rec), r.last().mono_ns};
      else if (from && n >= kSeconds - 1) to = Mark{sys::process_cpu_ns(rec), r.last().mono_ns};
    } catch (const Error&) {
    }
  }
  const double rec_cpu = cpu_of(rec);
  const double atop_cpu = atop > 0 ? cpu_of(atop) : 0;
  close(in1), close(in2);
  try {
    history::Reader r(ours);
    const int64_t n = r.count();
    const double span = static_cast<double>(r.last().mono_ns - r.first().mono_ns) / 1e9;
    const uint64_t bytes = file_bytes(ours);
    std::printf("record --threads --retain 7d (as the service unit), %d threads + the machine's, -d 1, %lld samples over %.1f s:\n", kThreads, static_cast<long long>(n), span);
    const bool steady = from && to && to->mono_ns > from->mono_ns && to->cpu_ns >= from->cpu_ns;
    const double steady_s = steady ? static_cast<double>(to->mono_ns - from->mono_ns) / 1e9 : 0;
    const double steady_cpu = steady ? static_cast<double>(to->cpu_ns - from->cpu_ns) / 1e9 : 0;
    std::printf("  taskscope record  %6.3f%% of a core steady (%.3f s CPU over %.1f s, samples %d to %d; %.2f s in all)  %8.0f bytes/sample "
                "(file %llu)  goal <= 0.5%%\n",
                steady ? 100 * steady_cpu / steady_s : -1.0, steady_cpu, steady_s, kSteadyFrom, kSeconds - 1, rec_cpu,
                static_cast<double>(bytes) / static_cast<double>(n), static_cast<unsigned long long>(bytes));
  } catch (const Error& e) {
    std::printf("record failed: %s\n", e.what());
  }
  writer_share(ours, dir);
  const uint64_t abytes = file_bytes(theirs);
  if (abytes)
    std::printf("  atop -w (anchor)  %6.3f%% of a core (%.2f s CPU)                    %8.0f bytes/sample (file %llu; processes and threads, no events)\n",
                100 * atop_cpu / kSeconds, atop_cpu, static_cast<double>(abytes) / kSeconds, static_cast<unsigned long long>(abytes));
  else
    std::printf("  atop -w (anchor): no file (is atop installed? make bench-deps)\n");
  try {  // while the 10k threads still run
    split(dir);
  } catch (const Error& e) {
    std::printf("  (no split by part: %s)\n", e.what());
  }
  close(fx_in);
  waitpid(fx, nullptr, 0);
  close(out[0]);
}

// synthetic_frame() is second `s` of a day: 300 processes of 1-4 threads whose counters move.
view::Frame synthetic_frame(uint64_t s) {
  view::Frame f;
  f.taken_ns = f.snap.taken_ns = (s + 1) * 1'000'000'000;
  f.snap.source = "bpf";
  f.snap.fields = kAllFields;
  f.machine.taken_ns = f.taken_ns;
  f.machine.all.user = s * 50;
  f.machine.all.idle = s * 150;
  for (int32_t pid = 1; pid <= 300; ++pid) {
    Process p;
    p.pid = pid;
    p.ppid = 1;
    p.comm = "proc" + std::to_string(pid);
    p.cmdline = "/usr/bin/" + p.comm + " --serve --port " + std::to_string(8000 + pid);
    p.rss_bytes = 4096ull * static_cast<uint64_t>(pid * 100 + s % 7);
    p.nlwp = 1 + pid % 4;
    for (int32_t k = 0; k < p.nlwp; ++k) {
      Task t;
      t.tid = k == 0 ? pid : 100000 + pid * 4 + k;
      t.tgid = pid;
      t.comm = p.comm;
      t.state = 'S';
      t.start_ns = 1000;
      const bool busy = (pid + k + s) % 20 == 0;
      t.utime_ns = s * (busy ? 3'000'000 : 10'000) + static_cast<uint64_t>(pid);
      t.nvcsw = s * static_cast<uint64_t>(1 + pid % 9);
      t.nivcsw = s / 3;
      p.tasks.push_back(t);
    }
    f.snap.processes.push_back(std::move(p));
  }
  if (s % 10 == 0) f.events.push_back(ExitEvent{{f.taken_ns - 1000, 0}, 5000, 5000, "cron", true, 0, 1'000'000, 1000});
  return f;
}

void replay_jump(const std::string& dir) {
  const std::string path = dir + "/synthetic-24h.db";
  constexpr uint64_t kDay = 86400;
  bool have = false;
  try {  // a file of an older encoding (no deltas) is built again
    history::Db db(path, false);
    history::Stmt q = db.prepare("SELECT count(*), count(key_id) FROM sample");
    have = q.step() && q.i64(0) == static_cast<int64_t>(kDay) && q.i64(1) > 0;
  } catch (const Error&) {
  }
  if (!have) {
    fs::remove(path), fs::remove(path + "-wal"), fs::remove(path + "-shm");
    std::printf("building %s (86,400 samples, once)...\n", path.c_str());
    std::fflush(stdout);
    history::Writer w(path, {}, false);
    for (uint64_t s = 0; s < kDay; ++s) w.append(synthetic_frame(s), true, 1'790'000'000'000'000'000ull + s * 1'000'000'000);
  }
  history::Reader r(path);
  const uint64_t t0 = r.first().wall_ns, t1 = r.last().wall_ns;
  std::mt19937_64 rng(24);
  std::vector<double> ms;
  for (int i = 0; i < 50; ++i) {
    const uint64_t at = t0 + rng() % (t1 - t0);
    const uint64_t a = sys::monotonic_ns();
    const auto f = history::replay_frame(r, r.at(at));
    ms.push_back(static_cast<double>(sys::monotonic_ns() - a) / 1e6);
    if (f->snap.processes.size() != 300) std::printf("bad sample\n");
  }
  std::sort(ms.begin(), ms.end());
  std::printf("replay jump in a 24 h recording (%llu bytes, %.0f a sample; 300 processes, 750 threads; a key every %d): median %.2f ms, "
              "worst %.2f ms  goal <= 50 ms\n",
              static_cast<unsigned long long>(file_bytes(path)), static_cast<double>(file_bytes(path)) / kDay, history::Writer::kKeyEvery,
              ms[ms.size() / 2], ms.back());
}

}  // namespace

int main() {
  const std::string build = TS_BUILD_DIR;
  const std::string dir = build + "/bench-data";
  fs::create_directories(dir);
  try {
    replay_jump(dir);
    recorder_cost(build, dir);
  } catch (const std::exception& e) {
    std::printf("history_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
