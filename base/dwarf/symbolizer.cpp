// symbolizer.cpp: libdwfl-backed symbolization of addresses in a live process, with DWARF inline
// chains (which inlined calls an address lies in, and the source line executing in each).
#include "dwarf/symbolizer.h"

#include "dwarf/debug_cache.h"
#include "dwarf/site_cache.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace ts::dwarf {
namespace {

std::string base_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string die_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int at : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name})
    if (dwarf_attr_integrate(die, at, &attr))
      if (const char* n = dwarf_formstring(&attr)) return demangle(n);
  return "";
}

// find_scopes() appends the subprogram and inlined-subroutine DIEs holding `pc`, outermost first.
// Unlike dwarf_getscopes() it also looks inside functions that do not hold pc: GCC nests the
// out-of-line body of a local class's member (a lambda's operator()) inside the enclosing
// function's DIE, where dwarf_getscopes() never finds it.
bool find_scopes(Dwarf_Die* parent, Dwarf_Addr pc, std::vector<Dwarf_Die>& out, int depth = 0) {
  Dwarf_Die child;
  if (depth > 64 || dwarf_child(parent, &child) != 0) return false;
  do {
    const int tag = dwarf_tag(&child);
    const bool code = tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block;
    if (code && dwarf_haspc(&child, pc) == 1) {
      if (tag != DW_TAG_lexical_block) out.push_back(child);
      find_scopes(&child, pc, out, depth + 1);
      return true;
    }
    const bool may_nest = tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block || tag == DW_TAG_namespace ||
                          tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type;
    if (may_nest && find_scopes(&child, pc, out, depth + 1)) return true;
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

// inline_chain() is the chain at `at` (a module address; `bias` from dwfl_module_addrdie), innermost
// (the inlined code, at file:line from the line table) first, the out-of-line function last.
// Empty without debug information.
std::vector<Frame> inline_chain(Dwarf_Die* cu, Dwarf_Addr bias, Dwarf_Addr at, const std::string& file, int line) {
  std::vector<Frame> frames;
  if (!cu) return frames;
  std::vector<Dwarf_Die> scopes;
  find_scopes(cu, at - bias, scopes);
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  const bool have_files = dwarf_getsrcfiles(cu, &files, &nfiles) == 0;
  Frame loc{"", file, line};
  for (size_t i = scopes.size(); i-- > 0;) {
    const int tag = dwarf_tag(&scopes[i]);
    loc.function = die_name(&scopes[i]);
    frames.push_back(loc);
    if (tag == DW_TAG_subprogram) break;
    Dwarf_Attribute attr;
    Dwarf_Word file_idx = 0, call_line = 0;
    loc = Frame{};
    if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &call_line) == 0)
      loc.line = static_cast<int>(call_line);
    if (have_files && dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &attr), &file_idx) == 0 &&
        file_idx < nfiles)
      if (const char* f = dwarf_filesrc(files, file_idx, nullptr, nullptr)) loc.file = f;
  }
  return frames;
}

std::string hex_bytes(const unsigned char* p, int n) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

}  // namespace

// Context is what find_elf needs to open a module as the process sees it; it also owns the
// callbacks (libdwfl keeps a pointer to them) and their debug-info search path.
struct Symbolizer::Context {
  int32_t pid = 0;
  std::string debuginfo_path;
  char* debuginfo_path_c = nullptr;
  Dwfl_Callbacks callbacks{};
};

namespace {

// reporting is the Context of a report in progress on this thread, for a find_elf call made
// before the module's userdata is set (libdwfl may open the executable while reporting).
thread_local Symbolizer::Context* reporting = nullptr;

// give() hands an open file to libdwfl, which reads the ELF from the descriptor itself.
int give(int fd, const std::string& path, char** file_name, Elf** elfp) {
  if (fd < 0) return -1;
  *file_name = strdup(path.c_str());
  *elfp = nullptr;  // libdwfl opens the ELF from the fd itself
  return fd;
}

// find_elf() opens a mapped file through /proc/PID/root (its own mount namespace), then through
// /proc/PID/map_files/START-END (a deleted or replaced file), then by the plain path; the vDSO
// and anything else goes to libdwfl's own /proc reader.
int find_elf(Dwfl_Module* mod, void** userdata, const char* name, Dwarf_Addr base, char** file_name, Elf** elfp) {
  auto* ctx = userdata && *userdata ? static_cast<Symbolizer::Context*>(*userdata) : reporting;
  if (ctx && name && name[0] == '/') {
    std::string path = name;
    const bool deleted = path.ends_with(" (deleted)");
    if (deleted) path.resize(path.size() - 10);
    const std::string root = "/proc/" + std::to_string(ctx->pid) + "/root" + path;
    if (!deleted)
      if (int fd = open(root.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) return give(fd, root, file_name, elfp);
    Dwarf_Addr start = 0;
    if (deleted && dwfl_module_info(mod, nullptr, &start, nullptr, nullptr, nullptr, nullptr, nullptr)) {
      // map_files names each mapping "START-END"; the module's first mapping starts at `start`.
      const std::string dir = "/proc/" + std::to_string(ctx->pid) + "/map_files";
      char prefix[32];
      std::snprintf(prefix, sizeof prefix, "%llx-", static_cast<unsigned long long>(start));
      if (DIR* d = opendir(dir.c_str())) {
        int fd = -1;
        std::string found;
        while (const dirent* e = readdir(d))
          if (std::strncmp(e->d_name, prefix, std::strlen(prefix)) == 0) {
            found = dir + "/" + e->d_name;
            fd = open(found.c_str(), O_RDONLY | O_CLOEXEC);
            break;
          }
        closedir(d);
        if (fd >= 0) return give(fd, found, file_name, elfp);
      }
      return -1;  // the plain path now names another file (an upgrade replaced it)
    }
    if (int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) return give(fd, path, file_name, elfp);
    return -1;
  }
  return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
}

int set_userdata(Dwfl_Module*, void** userdata, const char*, Dwarf_Addr, void* arg) {
  *userdata = arg;
  return DWARF_CB_OK;
}

}  // namespace

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> d(abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return status == 0 && d ? std::string(d.get()) : std::string(name);
}

Frame user_frame(const Site& s, std::string_view skip) {
  if (!skip.empty())
    for (const Frame& f : s.frames)
      if (f.file.find(skip) == std::string::npos && f.line > 0) return f;
  // No inline chain (GCC does not always describe always_inline calls): the line is in a skipped
  // header, but the out-of-line function around it is the caller's own.
  if (!skip.empty() && s.file.find(skip) != std::string::npos) return Frame{s.function, "", 0};
  return Frame{s.function, s.file, s.line};
}

Symbolizer::Symbolizer(int32_t pid, std::string debug_cache)
    : ctx_(new Context), debug_cache_(std::move(debug_cache)), sites_(std::make_unique<SiteCache>(debug_cache_)) {
  ctx_->pid = pid;
  // Separate debug files: beside the file, in its .debug/, in the cache of inflated copies, in ours
  // and in the process's /usr/lib/debug (a container's own debug packages).
  ctx_->debuginfo_path = "-:.debug:" + (debug_cache_.empty() ? "" : debug_cache_ + ":") + "/usr/lib/debug:/proc/" +
                         std::to_string(pid) + "/root/usr/lib/debug";
  ctx_->debuginfo_path_c = ctx_->debuginfo_path.data();
  ctx_->callbacks = Dwfl_Callbacks{find_elf, dwfl_standard_find_debuginfo, nullptr, &ctx_->debuginfo_path_c};
  Dwfl* d = dwfl_begin(&ctx_->callbacks);
  if (!d) return;
  reporting = ctx_;
  const bool reported = dwfl_linux_proc_report(d, pid) == 0 && dwfl_report_end(d, nullptr, nullptr) == 0;
  reporting = nullptr;
  if (!reported) {
    dwfl_end(d);
    return;
  }
  dwfl_getmodules(d, set_userdata, ctx_, 0);
  dwfl_ = d;
}

Symbolizer::~Symbolizer() {
  if (dwfl_ && !debug_cache_.empty()) store_debug();
  if (dwfl_) dwfl_end(dwfl_);
  delete ctx_;
}

void Symbolizer::store_debug() {
  for (Dwfl_Module* mod : dwarf_read_) {
    const char *main = nullptr, *debug = nullptr;
    dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, &main, &debug);
    // Only a separate debug file (found by build-id, so the copy is found the same way), not
    // already the cache's, and only when inflating it cost something.
    if (!debug || (main && std::strcmp(main, debug) == 0) || std::string_view(debug).starts_with(debug_cache_ + "/"))
      continue;
    const unsigned char* id = nullptr;
    GElf_Addr id_vaddr = 0;
    const int n = dwfl_module_build_id(mod, &id, &id_vaddr);
    const std::string path = n > 0 && id ? debug_cache_path(debug_cache_, hex_bytes(id, n)) : "";
    if (path.empty() || access(path.c_str(), F_OK) == 0 || !has_compressed_debug(debug)) continue;
    Dwarf_Addr bias = 0;
    if (Dwarf* dw = dwfl_module_getdwarf(mod, &bias)) store_inflated(dwarf_getelf(dw), path);
  }
}

const std::vector<Symbolizer::CuRange>& Symbolizer::cu_ranges(Dwfl_Module* mod) const {
  const auto [it, fresh] = cu_ranges_.try_emplace(mod);
  Dwarf_Addr bias = 0;
  Dwarf* dw = fresh ? dwfl_module_getdwarf(mod, &bias) : nullptr;
  Dwarf_Off off = 0, next = 0;
  size_t hsize = 0;
  for (; dw && dwarf_nextcu(dw, off, &next, &hsize, nullptr, nullptr, nullptr) == 0; off = next) {
    Dwarf_Die cu;
    if (!dwarf_offdie(dw, off + hsize, &cu)) continue;
    Dwarf_Addr base = 0, lo = 0, hi = 0;
    for (ptrdiff_t r = 0; (r = dwarf_ranges(&cu, r, &base, &lo, &hi)) > 0;)
      if (lo < hi) it->second.push_back({lo, hi, off + hsize});
  }
  if (fresh) std::sort(it->second.begin(), it->second.end(), [](const CuRange& a, const CuRange& b) { return a.lo < b.lo; });
  return it->second;
}

Site Symbolizer::lookup(uint64_t pc, bool return_address, bool dwarf) const {
  Site s;
  s.pc = pc;
  Dwfl_Module* mod = dwfl_ && pc ? dwfl_addrmodule(dwfl_, pc) : nullptr;
  if (!mod) return s;
  const uint64_t at = return_address ? pc - 1 : pc;
  Dwarf_Addr start = 0;
  if (const char* m = dwfl_module_info(mod, nullptr, &start, nullptr, nullptr, nullptr, nullptr, nullptr)) {
    s.module = base_name(m);
    s.module_path = m;
    s.offset = pc - start;
    s.module_addr = pc - start;
  }
  Dwarf_Addr elf_bias = 0;
  if (dwfl_module_getelf(mod, &elf_bias)) s.module_addr = pc - elf_bias;
  const unsigned char* id = nullptr;
  GElf_Addr id_vaddr = 0;
  if (const int n = dwfl_module_build_id(mod, &id, &id_vaddr); n > 0 && id) s.build_id = hex_bytes(id, n);
  // Kept from an earlier run: neither the symbol table nor the DWARF is read. (The symbol came
  // from the same table a lookup without DWARF reads: that one takes the function alone.)
  if (const Site* kept = sites_->find(s.build_id, s.module_addr, return_address)) {
    s.function = kept->function;
    s.offset = kept->offset;
    if (!dwarf) return s;
    s.file = kept->file;
    s.line = kept->line;
    s.frames = kept->frames;
    return s;
  }
  GElf_Off off = 0;
  GElf_Sym sym;
  if (const char* name = dwfl_module_addrinfo(mod, at, &off, &sym, nullptr, nullptr, nullptr)) {
    // A versioned symbol ("__libc_start_main@@GLIBC_2.34") is shown by its name, as gdb does.
    const char* at_sign = std::strchr(name, '@');
    s.function = at_sign ? demangle(std::string(name, at_sign).c_str()) : demangle(name);
    s.offset = pc - (at - off);
  }
  if (!dwarf) return s;
  if (!debug_cache_.empty()) dwarf_read_.insert(mod);
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(mod, at, &bias);
  // Only the unit that holds the address: code without debug information (crt1's _start) is
  // otherwise given the last line of whatever unit precedes it, and a cgo program's .debug_aranges
  // (gcc's, for its C units only) name a C unit for Go code, which is then found by its ranges below.
  if (cu && dwarf_haspc(cu, at - bias) != 1) cu = nullptr;
  if (Dwfl_Line* line = cu ? dwfl_module_getsrc(mod, at) : nullptr) {
    int lineno = 0;
    if (const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr)) {
      s.file = file;
      s.line = lineno;
    }
  }
  Dwarf_Die found;
  if (!cu) {
    // No .debug_aranges entry holds it (Go's DWARF has none): find the unit by its ranges, then the
    // line in its table.
    Dwarf* dw = dwfl_module_getdwarf(mod, &bias);
    static const std::vector<CuRange> kNone;
    const std::vector<CuRange>& units = dw ? cu_ranges(mod) : kNone;
    auto u = std::upper_bound(units.begin(), units.end(), at - bias, [](Dwarf_Addr a, const CuRange& r) { return a < r.lo; });
    if (u != units.begin() && at - bias < (--u)->hi && dwarf_offdie(dw, u->die, &found)) cu = &found;
    Dwarf_Line* line = cu && s.file.empty() ? dwarf_getsrc_die(cu, at - bias) : nullptr;
    int lineno = 0;
    if (const char* file = line && dwarf_lineno(line, &lineno) == 0 ? dwarf_linesrc(line, nullptr, nullptr) : nullptr) {
      s.file = file;
      s.line = lineno;
    }
  }
  s.frames = inline_chain(cu, bias, at, s.file, s.line);
  // DWARF names a local class's member by its bare name ("operator()"); the symbol is qualified.
  if (!s.frames.empty() && !s.function.empty()) s.frames.back().function = s.function;
  if (dwfl_module_getdwarf(mod, &bias)) sites_->add(s.build_id, s.module_addr, return_address, s);
  return s;
}

}  // namespace ts::dwarf
