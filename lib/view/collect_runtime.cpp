// collect_runtime.cpp: the RT column's runtimes, cached per process and per executable.
#include "view/collect_runtime.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

#include "gort/go_binary.h"
#include "gort/go_reader.h"
#include "model/error.h"
#include "sys/clock.h"

namespace ts::view {

bool is_go_runtime(const std::string& rt) { return rt.rfind("go", 0) == 0 && rt != "goro"; }

std::string go_short_version(const std::string& version) {
  if (version.empty()) return "go";
  const size_t first = version.find('.');
  const size_t second = first == std::string::npos ? std::string::npos : version.find('.', first + 1);
  return second == std::string::npos ? version : version.substr(0, second);
}

RuntimeCache::RuntimeCache() = default;
RuntimeCache::~RuntimeCache() = default;

Runtimes RuntimeCache::update(const Snapshot& snap, const std::vector<int32_t>& with_segment, uint64_t budget_ns) {
  Runtimes out;
  const uint64_t t0 = sys::monotonic_ns();
  std::unordered_map<int32_t, Known> seen;
  seen.reserve(snap.processes.size());
  char path[40];
  for (const Process& p : snap.processes) {
    if (p.kthread) continue;
    if (std::binary_search(with_segment.begin(), with_segment.end(), p.pid)) {
      out.emplace(p.pid, "goro");
      continue;
    }
    const Task* lead = p.leader();
    const uint64_t start = lead ? lead->start_ns : p.tasks.empty() ? 0 : p.tasks.front().start_ns;
    if (auto k = by_pid_.find(p.pid); k != by_pid_.end() && k->second.start_ns == start) {
      if (!k->second.rt.empty()) out.emplace(p.pid, k->second.rt);
      seen.emplace(p.pid, std::move(k->second));
      continue;
    }
    std::snprintf(path, sizeof path, "/proc/%d/exe", p.pid);
    struct stat st {};
    if (stat(path, &st) != 0) continue;  // gone, or not ours to look at: asked again next frame
    const std::pair<uint64_t, uint64_t> id{st.st_dev, st.st_ino};
    auto e = by_exe_.find(id);
    if (e == by_exe_.end()) {
      if (sys::monotonic_ns() - t0 >= budget_ns) continue;  // a later frame reads it
      std::string rt;
      try {
        ++exe_reads_;
        const gort::GoBinary bin(path);
        if (bin.is_go()) rt = go_short_version(bin.version());
      } catch (const Error&) {
        continue;  // gone or unreadable: asked again next frame
      }
      e = by_exe_.emplace(id, rt).first;
    }
    if (!e->second.empty()) out.emplace(p.pid, e->second);
    seen.emplace(p.pid, Known{start, e->second, nullptr, ""});
  }
  by_pid_ = std::move(seen);  // processes that ended are forgotten
  return out;
}

}  // namespace ts::view

namespace ts::view {

GoroSnapshot RuntimeCache::read_go(int32_t pid) {
  const auto k = by_pid_.find(pid);
  if (k == by_pid_.end()) throw Gone("no process with pid " + std::to_string(pid) + " in the last snapshot");
  Known& known = k->second;
  if (!known.go_error.empty()) throw Error(known.go_error);
  if (!known.go) {
    ++go_opens_;
    try {
      known.go = std::make_unique<gort::GoProcess>(pid);
    } catch (const Gone&) {
      throw;
    } catch (const Error& e) {
      known.go_error = e.what();
      throw;
    }
  }
  try {
    return known.go->read();
  } catch (const Gone&) {
    known.go.reset();
    throw;
  }
}

size_t RuntimeCache::go_readers() const {
  size_t n = 0;
  for (const auto& [pid, k] : by_pid_) n += k.go != nullptr;
  return n;
}

}  // namespace ts::view
