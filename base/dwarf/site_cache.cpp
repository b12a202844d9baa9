// site_cache.cpp: sites kept by build-id on disk, as JSON; see site_cache.h.
#include "dwarf/site_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dwarf/debug_cache.h"

namespace ts::dwarf {
namespace {

constexpr int kVersion = 1;
constexpr size_t kMaxSites = 200000;  // per module: a bound on what a file may grow to

using nlohmann::json;

uint64_t key(uint64_t module_addr, bool ret) { return module_addr << 1 | (ret ? 1 : 0); }

// hex_id() tells whether s is a build-id in hex (it names a file: nothing else may pass).
bool hex_id(const std::string& s) {
  if (s.size() < 4 || s.size() > 128) return false;
  for (const char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// read_sites() fills m from a file written by save(); a file that is not one (another version,
// truncated, edited) is ignored whole.
void read_sites(const std::string& path, std::map<uint64_t, Site>& m) {
  std::ifstream in(path);
  if (!in) return;
  std::stringstream ss;
  ss << in.rdbuf();
  const json j = json::parse(ss.str(), nullptr, false);
  if (!j.is_object() || j.value("version", 0) != kVersion || !j.contains("sites") || !j["sites"].is_array()) return;
  std::map<uint64_t, Site> out;
  for (const json& e : j["sites"]) {
    if (!e.is_array() || e.size() != 7 || !e[0].is_number_unsigned() || !e[1].is_boolean() || !e[2].is_string() ||
        !e[3].is_number_unsigned() || !e[4].is_string() || !e[5].is_number_integer() || !e[6].is_array())
      return;
    Site s;
    s.module_addr = e[0].get<uint64_t>();
    s.function = e[2].get<std::string>();
    s.offset = e[3].get<uint64_t>();
    s.file = e[4].get<std::string>();
    s.line = e[5].get<int>();
    for (const json& f : e[6]) {
      if (!f.is_array() || f.size() != 3 || !f[0].is_string() || !f[1].is_string() || !f[2].is_number_integer()) return;
      s.frames.push_back(Frame{f[0].get<std::string>(), f[1].get<std::string>(), f[2].get<int>()});
    }
    out.emplace(key(s.module_addr, e[1].get<bool>()), std::move(s));
  }
  m = std::move(out);
}

}  // namespace

std::string SiteCache::path(const std::string& build_id) const {
  if (dir_.empty() || !hex_id(build_id)) return "";
  return dir_ + "/sites/" + build_id;
}

SiteCache::Module& SiteCache::module(const std::string& build_id) {
  const auto [it, fresh] = modules_.try_emplace(build_id);
  if (fresh)
    if (const std::string p = path(build_id); !p.empty()) read_sites(p, it->second.sites);
  return it->second;
}

const Site* SiteCache::find(const std::string& build_id, uint64_t module_addr, bool return_address) {
  if (dir_.empty() || build_id.empty()) return nullptr;
  const Module& m = module(build_id);
  const auto it = m.sites.find(key(module_addr, return_address));
  return it == m.sites.end() ? nullptr : &it->second;
}

void SiteCache::add(const std::string& build_id, uint64_t module_addr, bool return_address, const Site& s) {
  if (path(build_id).empty()) return;
  Module& m = module(build_id);
  if (m.sites.size() >= kMaxSites) return;
  Site kept;
  kept.module_addr = module_addr;
  kept.function = s.function;
  kept.offset = s.offset;
  kept.file = s.file;
  kept.line = s.line;
  kept.frames = s.frames;
  if (m.sites.emplace(key(module_addr, return_address), std::move(kept)).second) m.dirty = true;
}

void SiteCache::save() {
  for (auto& [id, m] : modules_) {
    if (!m.dirty) continue;
    m.dirty = false;
    const std::string p = path(id);
    if (p.empty() || !make_cache_dirs(p)) continue;
    json sites = json::array();
    for (const auto& [k, s] : m.sites) {
      json frames = json::array();
      for (const Frame& f : s.frames) frames.push_back({f.function, f.file, f.line});
      sites.push_back({s.module_addr, (k & 1) != 0, s.function, s.offset, s.file, s.line, std::move(frames)});
    }
    const std::string text = json{{"version", kVersion}, {"build_id", id}, {"sites", std::move(sites)}}.dump(
        -1, ' ', false, json::error_handler_t::replace);
    std::string tmp = p + ".XXXXXX";
    const int fd = mkstemp(tmp.data());
    if (fd < 0) continue;
    bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ok = close(fd) == 0 && ok && fchmodat(AT_FDCWD, tmp.c_str(), 0644, 0) == 0 && rename(tmp.c_str(), p.c_str()) == 0;
    if (!ok) unlink(tmp.c_str());
  }
}

}  // namespace ts::dwarf
