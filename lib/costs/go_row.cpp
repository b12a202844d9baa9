// go_row.cpp: building and running the Go row's program.
#include "costs/go_row.h"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "costs/paths.h"
#include "costs/probe.h"
#include "costs/watch.h"
#include "model/error.h"

extern char** environ;

namespace ts::costs {

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw Error("bench: the Go row's source " + p.string() + " is missing (make builds it; see --only)");
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// fnv1a() is a 64-bit FNV-1a hash: the cache key of a build (source and toolchain).
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// build() runs `go build` in `src` with `env` added; returns its exit status.
int build(const std::string& go, const std::string& src, const std::string& out, const std::vector<std::string>& env) {
  std::vector<std::string> args{go, "build", "-o", out, "."};
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> envs = env;
  for (std::string& e : envs) envp.push_back(e.data());
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addchdir_np(&fa, src.c_str());
  posix_spawn_file_actions_adddup2(&fa, 2, 1);  // go's own messages go to our stderr
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, go.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw Error("bench: cannot run " + go + ": " + strerror(rc));
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
}

std::vector<double> doubles(const nlohmann::json& j, const char* key) { return j.at(key).get<std::vector<double>>(); }

}  // namespace

std::string find_go() {
  const char* path = std::getenv("PATH");
  if (!path) return "";
  std::stringstream dirs(path);
  for (std::string d; std::getline(dirs, d, ':');) {
    if (d.empty()) continue;
    const std::string go = d + "/go";
    struct stat st{};
    if (stat(go.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(go.c_str(), X_OK) == 0) return go;
  }
  return "";
}

std::string go_program(const std::string& go, std::ostream& note) {
  const fs::path src = go_source_dir();
  struct stat st{};
  stat(go.c_str(), &st);
  const std::string key = slurp(src / "main.go") + slurp(src / "go.mod") + go + std::to_string(st.st_size) + "." +
                          std::to_string(st.st_mtim.tv_sec);
  char hex[17];
  snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(key)));
  const fs::path dir = fs::path(cache_dir()) / "bench-go";
  const fs::path bin = dir / (std::string("bench-go-") + hex);
  if (access(bin.c_str(), X_OK) == 0) return bin.string();

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("bench: cannot create " + dir.string() + ": " + ec.message());
  note << "taskscope: building the Go row's program once into " << dir.string() << " (offline)\n" << std::flush;
  const fs::path tmp = dir / (std::string("bench-go-") + hex + ".tmp" + std::to_string(getpid()));
  const int rc = build(go, src.string(), tmp.string(),
                       {"GOCACHE=" + (dir / "gocache").string(), "GOPATH=" + (dir / "gopath").string(),
                        "GOFLAGS=-mod=mod", "GOPROXY=off", "GO111MODULE=on", "GOTOOLCHAIN=local"});
  if (rc != 0) {
    fs::remove(tmp, ec);
    throw Error("bench: building the Go row's program with " + go + " failed (status " + std::to_string(rc) + ")");
  }
  fs::rename(tmp, bin, ec);
  if (ec) throw Error("bench: cannot store " + bin.string() + ": " + ec.message());
  return bin.string();
}

CostRow measure_go_row(const Plan& plan, Observer& obs, const std::string& program) {
  CostRow row = make_row("go", "go", "Go goroutine", "small", "very small", "go func()+run+exit");
  const std::string rounds = std::to_string(plan.rounds);
  const std::string procs = "GOMAXPROCS=" + std::to_string(plan.create_cpus.size());
  Probe create = Probe::exec(plan.create_cpus, {program, "create", rounds, std::to_string(plan.g_batch)}, {procs});
  row.create_ns = spread_of(doubles(create.next("Go create", 300000), "create_ns"));
  create.finish();

  row.switch_how = "Gosched";
  row.roundtrip_how = "unbuffered chan";
  Probe sw = Probe::exec({plan.switch_cpu},
                         {program, "switch", rounds, std::to_string(plan.yields), std::to_string(plan.chan_trips)},
                         {"GOMAXPROCS=1"});
  const Watched w = watch_switches(sw, obs, "Go switches", 1);
  row.switch_ns = spread_of(doubles(w.result, "yield_ns"));
  row.roundtrip_ns = spread_of(doubles(w.result, "roundtrip_ns"));
  row.switches = w.result.at("switches").get<uint64_t>();
  row.kernel_watched = w.result.at("same_thread").get<bool>();
  row.nvcsw = w.delta.nvcsw;
  row.nivcsw = w.delta.nivcsw;

  row.memory_how = "goroutines parked on a channel";
  Probe idle = Probe::exec({}, {program, "park", std::to_string(plan.park_gs)}, {"GOMAXPROCS=1"});
  const IdleMemory m = watch_idle_memory(idle, obs, "parked goroutines");
  row.rss_bytes = m.per_unit;
  row.rss_units = m.units;
  row.reserved_bytes = 2048;
  row.reserved_how = "Go's starting stack";
  return row;
}

}  // namespace ts::costs
