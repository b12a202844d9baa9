// maps_view.cpp: the size line, the segment table, the totals, and their NDJSON.
#include "maps_view.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "format/ndjson.h"
#include "format/table.h"
#include "format/units.h"
#include "model/memory_summary.h"
#include "sys/text.h"

namespace ts::tools {

namespace {

constexpr uint64_t kPageSize = 4096;  // page rounding leaves less than this past the bss's end

std::string opt_bytes(int64_t v) { return v < 0 ? "-" : human_bytes(static_cast<uint64_t>(v)); }

nlohmann::json opt_json(int64_t v) { return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(v); }


// segment_name() is the NAME column: who the mapping belongs to.
std::string segment_name(const MemorySegment& s, const Classified& c) {
  switch (s.kind) {
    case SegmentKind::SharedLib: return s.library;
    case SegmentKind::GoroutineStack:
      return c.goroutine_arena ? "goroutine stacks (" + std::to_string(c.goroutine_arena->gs) + " Gs)" : "goroutine stacks";
    case SegmentKind::ThreadStack: return "thread " + std::to_string(s.tid);
    case SegmentKind::MainStack: return s.path + " main thread " + std::to_string(s.tid);
    case SegmentKind::Bss: return "(bss)";
    case SegmentKind::Guard:
      if (s.tid) return "guard of thread " + std::to_string(s.tid);
      return s.path;
    default: return s.path;
  }
}

std::string range(const MemorySegment& s) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%012" PRIx64 "-%012" PRIx64, s.start, s.end);
  return buf;
}

}  // namespace

std::string size_lines(const SizeTotals& t, const std::string& filename) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%7" PRIu64 "\t%7" PRIu64 "\t%7" PRIu64 "\t%7" PRIu64 "\t%7" PRIx64 "\t", t.text, t.data,
                t.bss, t.dec(), t.dec());
  return "   text\t   data\t    bss\t    dec\t    hex\tfilename\n" + std::string(buf) + sys::printable(filename) + "\n";
}

void print_maps_text(const ProcessMaps& pm, std::ostream& out) {
  const Classified& c = pm.map;
  if (pm.size) out << size_lines(*pm.size, c.exe_path) << '\n';

  Table t({{"START-END", Align::Left}, {"SIZE"}, {"PERMS", Align::Left}, {"KIND", Align::Left}, {"RSS"}, {"PSS"},
           {"NAME", Align::Left}});
  for (const MemorySegment& s : c.segments)
    t.add({range(s), human_bytes(s.size()), s.perms, segment_kind_name(s.kind), opt_bytes(s.rss_bytes),
           opt_bytes(s.pss_bytes), segment_name(s, c)});
  t.print(out);

  const MapsSummary sum = summarize(c);
  out << '\n';
  Table k({{"KIND", Align::Left}, {"MAPPINGS"}, {"SIZE"}, {"RSS"}, {"PSS"}});
  for (const KindTotal& kt : sum.kinds)
    k.add({segment_kind_name(kt.kind), std::to_string(kt.count), human_bytes(kt.size), opt_bytes(kt.rss), opt_bytes(kt.pss)});
  k.print(out);

  out << '\n';
  if (c.bss.size) {
    // Exact bytes: the parts add up to the total as printed, and the total is size(1)'s bss when the
    // sections fill the PT_LOAD's zero-filled range exactly.
    const BssPlacement& b = c.bss;
    out << "bss: " << b.size << " bytes at " << hex(b.start) << " = " << b.in_data_page << " in the data mapping's last page";
    if (b.anonymous) out << " + " << b.in_anonymous << " in " << human_bytes(b.anonymous) << " of anonymous mapping";
    if (b.unmapped) out << " + " << b.unmapped << " not mapped";
    if (const uint64_t past = b.anonymous - std::min(b.anonymous, b.in_anonymous); past >= kPageSize)
      out << " (" << past << " bytes of it lie past the bss: a neighbouring mapping merged in)";
    else if (past)
      out << " (its last " << past << " bytes are page rounding)";
    if (pm.size && pm.size->bss != b.size)
      out << "; size(1) counts " << pm.size->bss << ": it sums sections (.tbss too), this is the PT_LOADs' zero-filled range";
    out << '\n';
  }
  if (pm.layout.start_brk)
    out << "heap: " << human_bytes(pm.layout.brk - pm.layout.start_brk) << " (start_brk " << hex(pm.layout.start_brk)
        << ", brk " << hex(pm.layout.brk) << ")\n";
  const ThreadStackTotal& ts = sum.thread_stacks;
  if (ts.count) {
    out << "thread stacks: ";
    if (ts.min_each == ts.max_each) out << ts.count << " x " << human_bytes(ts.min_each) << " reserved";
    else out << ts.count << ", " << human_bytes(ts.reserved) << " reserved (" << human_bytes(ts.min_each) << ".."
             << human_bytes(ts.max_each) << " each)";
    out << ", " << opt_bytes(ts.resident) << " resident\n";
  }
  if (const auto& gs = sum.goroutine_stacks)
    out << "goroutine stacks: " << gs->gs << " Gs, " << opt_bytes(gs->resident) << " resident of "
        << human_bytes(gs->reserved) << " reserved (one arena, slots of " << human_bytes(gs->slot_size) << " with "
        << human_bytes(gs->guard_size) << " guard each)\n";
  if (!sum.libraries.empty()) {
    out << "shared libraries: " << sum.libraries.size() << " (";
    for (size_t i = 0; i < sum.libraries.size(); ++i)
      out << (i ? ", " : "") << sys::printable(sum.libraries[i].name) << ' ' << human_bytes(sum.libraries[i].size) << " rss "
          << opt_bytes(sum.libraries[i].rss);
    out << ")\n";
  }
  if (pm.rollup)
    out << "total: rss " << opt_bytes(pm.rollup->rss) << ", pss " << opt_bytes(pm.rollup->pss) << " (anon "
        << opt_bytes(pm.rollup->pss_anon) << ", file " << opt_bytes(pm.rollup->pss_file) << "), swap "
        << opt_bytes(pm.rollup->swap) << '\n';
}

void print_maps_json(const ProcessMaps& pm, std::ostream& out) {
  const Classified& c = pm.map;
  for (const MemorySegment& s : c.segments) {
    nlohmann::json j = {{"type", "segment"},  {"pid", pm.pid},        {"start", hex(s.start)},
                        {"end", hex(s.end)},  {"size", s.size()},     {"perms", s.perms},
                        {"offset", s.offset}, {"inode", s.inode},     {"path", s.path},
                        {"kind", segment_kind_name(s.kind)},          {"rss", opt_json(s.rss_bytes)},
                        {"pss", opt_json(s.pss_bytes)}};
    if (!s.library.empty()) j["library"] = s.library;
    if (s.tid) j["tid"] = s.tid;
    out << json_line(j) << '\n';
  }
  const MapsSummary sum = summarize(c);
  nlohmann::json j = {{"type", "summary"}, {"pid", pm.pid}, {"comm", pm.comm}, {"exe", c.exe_path},
                      {"load_bias", hex(c.load_bias)}};
  if (pm.size)
    j["size"] = {{"text", pm.size->text}, {"data", pm.size->data}, {"bss", pm.size->bss}, {"dec", pm.size->dec()}};
  const AddressLayout& l = pm.layout;
  j["layout"] = {{"start_code", hex(l.start_code)}, {"end_code", hex(l.end_code)},   {"start_data", hex(l.start_data)},
                 {"end_data", hex(l.end_data)},     {"start_brk", hex(l.start_brk)}, {"brk", hex(l.brk)},
                 {"start_stack", hex(l.start_stack)}};
  j["bss"] = {{"start", hex(c.bss.start)},       {"end", hex(c.bss.end)},
              {"size", c.bss.size},                {"in_data_page", c.bss.in_data_page},
              {"in_anonymous", c.bss.in_anonymous}, {"unmapped", c.bss.unmapped},
              {"anonymous", c.bss.anonymous}};
  nlohmann::json kinds = nlohmann::json::object();
  for (const KindTotal& k : sum.kinds)
    kinds[segment_kind_name(k.kind)] = {{"mappings", k.count}, {"size", k.size}, {"rss", opt_json(k.rss)}, {"pss", opt_json(k.pss)}};
  j["kinds"] = kinds;
  j["thread_stacks"] = {{"count", sum.thread_stacks.count}, {"reserved", sum.thread_stacks.reserved},
                        {"resident", opt_json(sum.thread_stacks.resident)}};
  j["goroutine_stacks"] = nullptr;
  if (const auto& gs = sum.goroutine_stacks)
    j["goroutine_stacks"] = {{"gs", gs->gs},
                             {"mappings", gs->mappings},
                             {"reserved", gs->reserved},
                             {"resident", opt_json(gs->resident)},
                             {"start", hex(c.goroutine_arena->lo)},
                             {"end", hex(c.goroutine_arena->hi)},
                             {"slot_size", gs->slot_size},
                             {"guard_size", gs->guard_size}};
  nlohmann::json libs = nlohmann::json::array();
  for (const LibraryTotal& lib : sum.libraries)
    libs.push_back({{"name", lib.name}, {"path", lib.path}, {"mappings", lib.mappings}, {"size", lib.size},
                    {"rss", opt_json(lib.rss)}, {"pss", opt_json(lib.pss)}});
  j["libraries"] = libs;
  if (pm.rollup)
    j["rollup"] = {{"rss", opt_json(pm.rollup->rss)}, {"pss", opt_json(pm.rollup->pss)}, {"pss_anon", opt_json(pm.rollup->pss_anon)},
                   {"pss_file", opt_json(pm.rollup->pss_file)}, {"swap", opt_json(pm.rollup->swap)}};
  j["notes"] = c.notes;
  out << json_line(j) << '\n';
}

void print_notes(const ProcessMaps& pm, std::ostream& err) {
  for (const std::string& n : pm.map.notes) err << "note: " << sys::printable(n) << '\n';
}

void print_vm_status(int32_t pid, const VmStatus& st, bool json, std::ostream& out) {
  if (json) {
    nlohmann::json vm = nlohmann::json::object();
    for (const auto& [k, v] : st.lines) vm[k] = v;
    out << json_line(nlohmann::json{{"type", "status"}, {"pid", pid}, {"vm", vm}}) << '\n';
    return;
  }
  if (st.lines.empty()) return;
  out << "what /proc/" << pid << "/status tells (VmExe text, VmData data+bss+heap+anon, VmStk main stack, VmLib libraries):\n";
  Table t({{"FIELD", Align::Left}, {"SIZE"}});
  for (const auto& [k, v] : st.lines) t.add({k, human_bytes(v)});
  t.print(out);
}

}  // namespace ts::tools
