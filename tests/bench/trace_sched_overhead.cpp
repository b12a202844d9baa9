// trace_sched_overhead.cpp: what `taskscope trace sched` costs a context switch. A ping-pong
// between two threads pinned to one CPU (nothing but switches) is timed without tracing (the anchor), with an empty sched_switch program (the floor any hook
// costs), with the stream mode (every switch through the ring buffer, drained on a timer by a
// reader on another CPU), with the summary mode (counted in kernel maps), and with the bpftrace
// one-liners issue 15 sets beside them: counting sched_switch (beside the stream) and the on-CPU
// histogram (beside --summary). bpftrace 0.17 reads tracepoint formats from tracefs: the bench
// mounts it when it is not, and unmounts it after. Goals: stream <= +10%, summary <= +5%, 0 lost.
// Figures are the best of kReps runs each; the load average is printed before and after. After
// the timed runs of a mode, one more run with the kernel's bpf_stats on says what each program
// costs per run (bpf_stats add a clock read per run, so they are off while timing). One more run of
// the stream mode with no reader shows what a switch costs while the ring is past half full.
// Two handoffs, each a table: futex wait/wake, the fastest blocking handoff between two threads
// (no file, no pipe lock or buffer: the switch is most of what a round costs, so a tracer's
// share shows largest; the goals are judged on it), and the pipe one of earlier figures.
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <linux/futex.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bpf/bpf_common.h"
#include "bpf_floor.h"
#include "bpf/sched_tracer.h"
#include "model/error.h"

extern char** environ;

namespace {

constexpr long kRounds = 50000;
constexpr int kReps = 5;
constexpr int kPingCpu = 0;

void pin(int cpu) { ts::bench::pin_thread(cpu); }

long thread_switches() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_nvcsw + ru.ru_nivcsw;
}

double thread_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// Cost is one ping-pong run's price per context switch: the CPU time both threads used (what
// tracing adds to the switch path lands there, while other load on the machine does not), and
// the wall time, which also holds whatever else ran on that CPU.
struct Cost {
  double cpu_ns = 0, wall_ns = 0;
};

// Handoff is how the two threads of a ping-pong wake each other.
enum class Handoff { Futex, Pipe };

const char* handoff_name(Handoff h) { return h == Handoff::Futex ? "futex" : "pipe"; }

// PipePair passes a byte over two pipes: ping writes one and reads the answer.
struct PipePair {
  int ab[2], ba[2];
  PipePair() {
    if (pipe(ab) || pipe(ba)) throw std::runtime_error("pipe");
  }
  ~PipePair() {
    for (int fd : {ab[0], ab[1], ba[0], ba[1]}) close(fd);
  }
  bool ping() {
    char c = 1;
    return write(ab[1], &c, 1) == 1 && read(ba[0], &c, 1) == 1;
  }
  bool pong() {
    char c;
    return read(ab[0], &c, 1) == 1 && write(ba[1], &c, 1) == 1;
  }
};

// FutexPair passes a turn over two futex words: ping sets `a` and wakes its waiter, then sleeps
// until `b` is set (and clears it); pong the other way round.
struct FutexPair {
  std::atomic<int> a{0}, b{0};
  static void wait(std::atomic<int>& w) {
    while (w.load() == 0) syscall(SYS_futex, &w, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
    w.store(0);
  }
  static void wake(std::atomic<int>& w) {
    w.store(1);
    syscall(SYS_futex, &w, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }
  bool ping() {
    wake(a);
    wait(b);
    return true;
  }
  bool pong() {
    wait(a);
    wake(b);
    return true;
  }
};

// pingpong_with() runs kRounds round trips between two threads pinned to kPingCpu over `pair` and
// returns the cost per context switch (switches counted by the kernel for both threads).
template <class Pair>
Cost pingpong_with(Pair& pair) {
  std::atomic<long> pong_switches{0};
  std::atomic<double> pong_cpu{0};
  std::thread pong([&] {
    pin(kPingCpu);
    if (!pair.pong()) return;  // warm-up round
    const long s0 = thread_switches();
    const double c0 = thread_cpu_ns();
    for (long i = 1; i < kRounds; ++i)
      if (!pair.pong()) break;
    pong_cpu = thread_cpu_ns() - c0;
    pong_switches = thread_switches() - s0;
  });
  pin(kPingCpu);
  // one warm-up round trip so that both threads sit on the CPU's run queue
  if (!pair.ping()) throw std::runtime_error("pingpong");
  const long s0 = thread_switches();
  const double c0 = thread_cpu_ns();
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 1; i < kRounds; ++i)
    if (!pair.ping()) throw std::runtime_error("pingpong");
  const auto t1 = std::chrono::steady_clock::now();
  const double my_cpu = thread_cpu_ns() - c0;
  const long mine = thread_switches() - s0;
  pong.join();
  ts::bench::unpin_thread();
  const double switches = static_cast<double>(std::max(1L, mine + pong_switches));
  const double wall = std::chrono::duration<double, std::nano>(t1 - t0).count();
  return Cost{(my_cpu + pong_cpu) / switches, wall / switches};
}

// g_handoff is the handoff of the table being measured.
Handoff g_handoff = Handoff::Futex;

// pingpong() is one ping-pong run over g_handoff.
Cost pingpong() {
  if (g_handoff == Handoff::Futex) {
    FutexPair f;
    return pingpong_with(f);
  }
  PipePair p;
  return pingpong_with(p);
}

// best() is the cheapest of kReps runs (by CPU time): noise only ever adds.
Cost best(const std::function<Cost()>& f) {
  Cost b{1e18, 1e18};
  for (int i = 0; i < kReps; ++i) {
    const Cost c = f();
    b.cpu_ns = std::min(b.cpu_ns, c.cpu_ns);
    b.wall_ns = std::min(b.wall_ns, c.wall_ns);
  }
  return b;
}

// Reader drains a stream-mode tracer from another CPU, as `taskscope trace sched` does.
struct Reader {
  ts::bpf::SchedTracer& tracer;
  std::atomic<bool> stop{false};
  uint64_t events = 0;
  std::thread thread{[this] {
    if (std::thread::hardware_concurrency() > 1) pin(kPingCpu + 1);
    const ts::bpf::EventSink sink = [this](const ts::Event&) { ++events; };
    while (!stop) tracer.drain(100, sink);
    tracer.drain(0, sink);
  }};
  explicit Reader(ts::bpf::SchedTracer& t) : tracer(t) {}
  // finish() stops the reader after a last drain and returns the events it read.
  uint64_t finish() {
    stop = true;
    if (thread.joinable()) thread.join();
    return events;
  }
  ~Reader() { finish(); }
};

// EmptyHook attaches a tp_btf/sched_switch program that returns at once: the floor that any
// switch hook costs on this machine (the tracepoint's call into BPF), which no program can undercut.
class EmptyHook {
 public:
  EmptyHook() : prog_("btf_trace_sched_switch", BTF_KIND_TYPEDEF, BPF_TRACE_RAW_TP) {
    if (prog_.fd() >= 0) link_ = bpf_raw_tracepoint_open(nullptr, prog_.fd());
  }
  ~EmptyHook() {
    if (link_ >= 0) close(link_);
  }
  EmptyHook(const EmptyHook&) = delete;
  EmptyHook& operator=(const EmptyHook&) = delete;
  // attached() tells whether it loaded and attached.
  bool attached() const { return link_ >= 0; }
  // fd() is the program.
  int fd() const { return prog_.fd(); }

 private:
  ts::bench::EmptyProgram prog_;
  int link_ = -1;
};

// Tracefs mounts tracefs at /sys/kernel/tracing for bpftrace when it is not, and unmounts what it
// mounted when it goes.
class Tracefs {
 public:
  Tracefs() {
    constexpr long kTracefsMagic = 0x74726163;
    struct statfs fs {};
    if (statfs(kPath, &fs) == 0 && fs.f_type == kTracefsMagic) return;
    mounted_ = mount("nodev", kPath, "tracefs", 0, nullptr) == 0;
    if (!mounted_) why_ = std::string("cannot mount tracefs: ") + std::strerror(errno);
  }
  ~Tracefs() {
    if (mounted_) umount2(kPath, MNT_DETACH);
  }
  Tracefs(const Tracefs&) = delete;
  Tracefs& operator=(const Tracefs&) = delete;
  // note() says what was done ("" when tracefs was there already).
  std::string note() const { return mounted_ ? "tracefs mounted for bpftrace (unmounted after)" : why_; }

 private:
  static constexpr const char* kPath = "/sys/kernel/tracing";
  bool mounted_ = false;
  std::string why_;
};

// with_bpftrace() runs the bpftrace one-liner around the ping-pong; nullopt (with `why`) when it cannot run.
std::optional<Cost> with_bpftrace(const char* program, std::string& why) {
  int out[2];
  if (pipe(out)) return std::nullopt;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, out[1], 2);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  const char* argv[] = {"bpftrace", "-e", program, nullptr};
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, "bpftrace", &fa, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    why = "bpftrace is not installed";
    return std::nullopt;
  }
  std::string text;
  char buf[4096];
  bool attached = false;
  for (int waited = 0; waited < 30000 && !attached; waited += 100) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    attached = text.find("Attaching") != std::string::npos;
  }
  std::optional<Cost> result;
  if (attached) result = best(pingpong);
  kill(pid, SIGINT);
  while (read(out[0], buf, sizeof buf) > 0) {
  }
  close(out[0]);
  waitpid(pid, nullptr, 0);
  if (!attached) {
    // its last complaint is the reason (an RLIMIT_MEMLOCK warning comes first and is harmless)
    for (const char* key : {"ERROR", "FATAL", "what()"})
      if (auto at = text.rfind(key); at != std::string::npos) {
        why = text.substr(at, text.find('\n', at) - at);
        break;
      }
    if (why.empty()) why = "it did not attach";
  }
  return result;
}

// program_costs() runs one ping-pong with bpf_stats on and prints what each of `tracer`'s programs
// cost per run (runs count every switch or wakeup on the machine, not only the ping-pong's).
void program_costs(const ts::bpf::SchedTracer& tracer) {
  const int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (stats_fd < 0) {
    std::printf("  %-34s bpf_stats unavailable\n", "");
    return;
  }
  const auto before = tracer.costs();
  pingpong();
  const auto after = tracer.costs();
  close(stats_fd);
  std::string line;
  for (size_t i = 0; i < after.size() && i < before.size(); ++i) {
    const uint64_t runs = after[i].runs - before[i].runs, ns = after[i].run_ns - before[i].run_ns;
    if (!runs) continue;
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s%s %.0f ns/run x %llu", line.empty() ? "" : ", ", after[i].name.c_str(),
                  static_cast<double>(ns) / static_cast<double>(runs), static_cast<unsigned long long>(runs));
    line += buf;
  }
  std::printf("  %-34s %s\n", "  kernel time (bpf_stats run)", line.c_str());
}

void row(const char* what, Cost c, Cost anchor, const std::string& note = "") {
  std::printf("  %-36s %7.0f %6.3fx %+6.1f%%   %7.0f %6.3fx   %s\n", what, c.cpu_ns, c.cpu_ns / anchor.cpu_ns,
              (c.cpu_ns / anchor.cpu_ns - 1) * 100, c.wall_ns, c.wall_ns / anchor.wall_ns, note.c_str());
}

// empty_cost() runs one ping-pong with bpf_stats on and says what the empty program costs per run.
std::string empty_cost(int fd) {
  const int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (stats_fd < 0) return "bpf_stats unavailable";
  const ts::bench::RunStats a = ts::bench::run_stats(fd);
  pingpong();
  const ts::bench::RunStats b = ts::bench::run_stats(fd);
  close(stats_fd);
  char buf[96];
  std::snprintf(buf, sizeof buf, "bpf_stats: %.0f ns/run x %llu", b.runs > a.runs ? double(b.ns - a.ns) / double(b.runs - a.runs) : 0.0,
                static_cast<unsigned long long>(b.runs - a.runs));
  return buf;
}

void goal(const char* what, Cost c, Cost anchor, double limit_pct) {
  const double pct = (c.cpu_ns / anchor.cpu_ns - 1) * 100;
  std::printf("  goal: %s <= +%.0f%% per switch (%s ping-pong): %s (%+.1f%%)\n", what, limit_pct, handoff_name(g_handoff),
              pct <= limit_pct ? "met" : "NOT met", pct);
}

// measure() prints one table: every row on ping-pongs over `h` (with summary_only, the summary's
// rows alone: the anchor, the floor and --summary, for a quick look while working on it).
void measure(Handoff h, const ts::bpf::Support& support, bool summary_only) {
  g_handoff = h;
  std::printf("\n%s ping-pong pinned to CPU %d, %ld round trips, best of %d; ratio to 'no tracing' of this table\n",
              handoff_name(h), kPingCpu, kRounds, kReps);
  std::printf("  %-36s %7s %6s %7s   %7s %6s\n", "", "cpu-ns", "ratio", "", "wall-ns", "ratio");
  const Cost anchor = best(pingpong);
  row("no tracing (anchor)", anchor, anchor);
  if (!support.usable) {
    std::printf("  trace sched: not measured: %s\n", support.why.c_str());
    return;
  }
  {
    EmptyHook floor;
    if (floor.attached()) row("empty sched_switch program (floor)", best(pingpong), anchor, empty_cost(floor.fd()));
    else std::printf("  %-36s could not load: %s\n", "empty sched_switch program", std::strerror(errno));
  }
  std::optional<Cost> stream_cost, summary_cost;
  if (!summary_only) try {
    ts::bpf::SchedTracer stream({}, ts::bpf::SchedMode::Stream);
    Reader reader(stream);
    const Cost ns = best(pingpong);
    const uint64_t events = reader.finish();
    row("trace sched (stream, all tasks)", ns, anchor,
        std::to_string(events) + " events, " + std::to_string(stream.lost()) + " lost");
    stream_cost = ns;
    Reader again(stream);
    program_costs(stream);
  } catch (const ts::Error& e) {
    std::printf("  trace sched (stream): not measured: %s\n", e.what());
  }
  if (!summary_only) try {
    // No reader: one run's ~100k switches fill the 16 MiB ring (~160k records) past its half
    // mark, where the reader is woken early. That wakeup once cost every switch past the mark an
    // irq_work and a self-IPI (~1.8 us on a KVM guest); now it is one per drain.
    ts::bpf::SchedTracer stalled({}, ts::bpf::SchedMode::Stream);
    std::printf("  %-36s no reader: the ring passes half full in this run\n", "trace sched (stream, reader stalled)");
    program_costs(stalled);
  } catch (const ts::Error& e) {
    std::printf("  trace sched (stream, reader stalled): not measured: %s\n", e.what());
  }
  try {
    ts::bpf::SchedTracer summary({}, ts::bpf::SchedMode::Summary);
    const Cost ns = best(pingpong);
    row("trace sched --summary (all tasks)", ns, anchor,
        std::to_string(summary.summary().size()) + " threads, " + std::to_string(summary.lost()) + " lost");
    summary_cost = ns;
    program_costs(summary);
  } catch (const ts::Error& e) {
    std::printf("  trace sched --summary: not measured: %s\n", e.what());
  }
  if (!summary_only) {
    const Tracefs tracefs;
    if (!tracefs.note().empty()) std::printf("  (%s)\n", tracefs.note().c_str());
    std::string why;
    if (auto c = with_bpftrace("tracepoint:sched:sched_switch { @[args->prev_pid] = count(); }", why))
      row("bpftrace sched_switch count", *c, anchor, "anchor of the stream");
    else std::printf("  %-36s could not run: %s\n", "bpftrace sched_switch count", why.c_str());
    why.clear();
    if (auto c = with_bpftrace("tracepoint:sched:sched_switch { $p = args->prev_pid; "
                               "if (@on[$p]) { @us = hist((nsecs - @on[$p]) / 1000); delete(@on[$p]); } "
                               "@on[args->next_pid] = nsecs; }",
                               why))
      row("bpftrace on-CPU histogram", *c, anchor, "anchor of --summary");
    else std::printf("  %-36s could not run: %s\n", "bpftrace on-CPU histogram", why.c_str());
  }
  const Cost again = best(pingpong);
  row("no tracing (again, noise check)", again, anchor);
  if (stream_cost) goal("trace sched stream", *stream_cost, anchor, 10);
  if (summary_cost) goal("trace sched --summary", *summary_cost, anchor, 5);
}

}  // namespace

// main: `trace_sched_overhead` measures every row; `trace_sched_overhead --summary` the summary's.
int main(int argc, char** argv) {
  const bool summary_only = argc > 1 && std::strcmp(argv[1], "--summary") == 0;
  const auto support = ts::bpf::probe_support();
  std::printf("%s\n", ts::bench::load_line().c_str());
  measure(Handoff::Futex, support, summary_only);
  measure(Handoff::Pipe, support, summary_only);
  std::printf("%s\n", ts::bench::load_line().c_str());
  return 0;
}
