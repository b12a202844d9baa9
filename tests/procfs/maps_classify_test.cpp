// maps_classify_test.cpp: classification of synthetic address spaces, no I/O.
#include <catch2/catch.hpp>

#include <elf.h>

#include <algorithm>

#include "model/memory_summary.h"
#include "procfs/maps_classify.h"
#include "procfs/maps_parse.h"

using namespace ts;

namespace {

// A PIE loaded at 0x555555554000 whose rw PT_LOAD has filesz 0x1100 and memsz 0x101100: its bss
// starts 0x100 bytes into the data mapping's last page and goes on in an anonymous mapping.
const char* const kMaps =
    "555555554000-555555555000 r--p 00000000 fe:00 7 /srv/app server\n"
    "555555555000-555555556000 r-xp 00001000 fe:00 7 /srv/app server\n"
    "555555556000-555555557000 r--p 00002000 fe:00 7 /srv/app server\n"
    "555555557000-555555558000 r--p 00002000 fe:00 7 /srv/app server\n"
    "555555558000-555555559000 rw-p 00003000 fe:00 7 /srv/app server\n"
    "555555559000-555555659000 rw-p 00000000 00:00 0 \n"
    "555556000000-555556021000 rw-p 00000000 00:00 0 [heap]\n"
    "7ffff0000000-7ffff0021000 rw-p 00000000 00:00 0 \n"
    "7ffff7000000-7ffff7001000 ---p 00000000 00:00 0 \n"
    "7ffff7001000-7ffff7801000 rw-p 00000000 00:00 0 \n"
    "7ffff7801000-7ffff7802000 ---p 00000000 00:00 0 \n"
    "7ffff7802000-7ffff8002000 rw-p 00000000 00:00 0 \n"
    "7ffff8002000-7ffff8028000 r--p 00000000 fe:00 20 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7ffff8028000-7ffff817e000 r-xp 00026000 fe:00 20 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7ffff817e000-7ffff81d1000 r--p 0017c000 fe:00 20 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7ffff81d1000-7ffff81d3000 rw-p 001cf000 fe:00 20 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7ffff81d3000-7ffff81d4000 r--p 00000000 fe:00 21 /usr/lib/plugins/libdata.so\n"
    "7ffff81d4000-7ffff81d5000 r-xp 00000000 fe:00 22 /opt/jit/code.bin (deleted)\n"
    "7ffff81d5000-7ffff81d6000 r--p 00000000 fe:00 23 /usr/lib/locale/C.utf8/LC_CTYPE\n"
    "7ffff81d6000-7ffff81d7000 rw-s 00000000 00:01 24 /dev/shm/ring\n"
    "7ffff81d7000-7ffff81d8000 rw-p 00000000 00:00 0 [anon:arena]\n"
    "7ffff81d8000-7ffff81dc000 r--p 00000000 00:00 0 [vvar]\n"
    "7ffff81dc000-7ffff81de000 r--p 00000000 00:00 0 [vvar_vclock]\n"
    "7ffff81de000-7ffff81e0000 r-xp 00000000 00:00 0 [vdso]\n"
    "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]\n"
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n";

ElfImage app_elf() {
  ElfImage e;
  e.pie = true;
  e.loads = {{0x0, 0x0, 0x1000, 0x1000, PF_R},
             {0x1000, 0x1000, 0x1000, 0x1000, PF_R | PF_X},
             {0x2000, 0x2000, 0x1000, 0x1000, PF_R},
             {0x3000, 0x2000, 0x1100, 0x101100, PF_R | PF_W}};
  return e;
}

ClassifyInput base_input() {
  ClassifyInput in;
  in.pid = 100;
  in.segments = parse_maps(kMaps);
  in.exe = "/srv/app server";
  in.elf = app_elf();
  in.layout.start_code = 0x555555555000;
  in.layout.end_code = 0x555555556000;
  in.layout.start_brk = 0x555556000000;
  ThreadSps t;
  t.found = {{100, 0x7fffffffe000}, {101, 0x7ffff7800f00}, {102, 0x7ffff8001000}};
  in.threads = t;
  return in;
}

const MemorySegment& at(const Classified& c, uint64_t addr) {
  auto it = std::find_if(c.segments.begin(), c.segments.end(), [&](const MemorySegment& s) { return s.start <= addr && addr < s.end; });
  REQUIRE(it != c.segments.end());
  return *it;
}

bool has_note(const Classified& c, const std::string& part) {
  return std::any_of(c.notes.begin(), c.notes.end(), [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

}  // namespace

TEST_CASE("classify names the executable's text, rodata, data and bss", "[maps][classify]") {
  const Classified c = classify(base_input());
  CHECK(c.exe_path == "/srv/app server");
  CHECK(c.load_bias == 0x555555554000);
  CHECK(at(c, 0x555555554000).kind == SegmentKind::Rodata);
  CHECK(at(c, 0x555555555000).kind == SegmentKind::Text);
  CHECK(at(c, 0x555555556000).kind == SegmentKind::Rodata);
  CHECK(at(c, 0x555555557000).kind == SegmentKind::Rodata);  // RELRO: part of the rw PT_LOAD, made read-only
  CHECK(at(c, 0x555555558000).kind == SegmentKind::Data);
  CHECK(at(c, 0x555555559000).kind == SegmentKind::Bss);
  CHECK(c.bss.start == 0x555555558100);
  CHECK(c.bss.end == 0x555555658100);
  CHECK(c.bss.size == 0x100000);
  CHECK(c.bss.in_data_page == 0xf00);
  CHECK(c.bss.in_anonymous == 0xff100);  // the rest: the parts add up to the size
  CHECK(c.bss.unmapped == 0);
  CHECK(c.bss.anonymous == 0x100000);    // the mapping, page-rounded: 0xf00 of it past the bss
  CHECK(c.notes.empty());
}

TEST_CASE("classify names heap, stacks, guards, libraries and the kernel's mappings", "[maps][classify]") {
  const Classified c = classify(base_input());
  CHECK(at(c, 0x555556000000).kind == SegmentKind::Heap);
  CHECK(at(c, 0x7ffff0000000).kind == SegmentKind::AnonMmap);
  const MemorySegment& main = at(c, 0x7ffffffde000);
  CHECK(main.kind == SegmentKind::MainStack);
  CHECK(main.tid == 100);
  for (auto [stack, tid] : {std::pair{0x7ffff7001000ull, 101}, std::pair{0x7ffff7802000ull, 102}}) {
    const MemorySegment& s = at(c, stack);
    CHECK(s.kind == SegmentKind::ThreadStack);
    CHECK(s.tid == tid);
    const MemorySegment& g = at(c, stack - 1);
    CHECK(g.kind == SegmentKind::Guard);
    CHECK(g.tid == tid);
  }
  const MemorySegment& libc = at(c, 0x7ffff8028000);
  CHECK(libc.kind == SegmentKind::SharedLib);
  CHECK(libc.library == "libc.so.6");
  CHECK(at(c, 0x7ffff817e000).library == "libc.so.6");
  CHECK(at(c, 0x7ffff81d3000).library == "libdata.so");     // named like a library, no code mapped
  CHECK(at(c, 0x7ffff81d4000).kind == SegmentKind::SharedLib);  // has code: a loaded object
  CHECK(at(c, 0x7ffff81d4000).library == "code.bin");
  CHECK(at(c, 0x7ffff81d5000).kind == SegmentKind::FileMmap);
  CHECK(at(c, 0x7ffff81d6000).kind == SegmentKind::Other);  // shared memory
  CHECK(at(c, 0x7ffff81d7000).kind == SegmentKind::Other);  // [anon:name]
  CHECK(at(c, 0x7ffff81d8000).kind == SegmentKind::Vvar);
  CHECK(at(c, 0x7ffff81dc000).kind == SegmentKind::Vvar);
  CHECK(at(c, 0x7ffff81de000).kind == SegmentKind::Vdso);
  CHECK(at(c, 0xffffffffff600000).kind == SegmentKind::Vsyscall);
}

TEST_CASE("summarize totals kinds, libraries, and thread stacks with their guards", "[maps][classify]") {
  ClassifyInput in = base_input();
  for (MemorySegment& s : in.segments) s.rss_bytes = s.pss_bytes = 4096;
  const MapsSummary sum = summarize(classify(in));
  CHECK(sum.thread_stacks.count == 2);
  CHECK(sum.thread_stacks.reserved == 2 * 0x801000);
  CHECK(sum.thread_stacks.min_each == 0x801000);
  CHECK(sum.thread_stacks.max_each == 0x801000);
  CHECK(sum.thread_stacks.resident == 2 * 4096);
  REQUIRE(sum.libraries.size() == 3);
  CHECK(sum.libraries[0].name == "libc.so.6");
  CHECK(sum.libraries[0].mappings == 4);
  CHECK(sum.libraries[0].size == 0x7ffff81d3000 - 0x7ffff8002000);
  CHECK(sum.libraries[0].rss == 4 * 4096);
  auto kind = [&](SegmentKind k) {
    auto it = std::find_if(sum.kinds.begin(), sum.kinds.end(), [&](const KindTotal& t) { return t.kind == k; });
    REQUIRE(it != sum.kinds.end());
    return *it;
  };
  CHECK(kind(SegmentKind::Rodata).count == 3);
  CHECK(kind(SegmentKind::Bss).size == 0x100000);
  CHECK(kind(SegmentKind::Guard).count == 2);
  CHECK(kind(SegmentKind::Vvar).count == 2);
}

TEST_CASE("classify says so when thread stacks cannot be told, and does not guess", "[maps][classify]") {
  SECTION("no thread information at all") {
    ClassifyInput in = base_input();
    in.threads.reset();
    const Classified c = classify(in);
    CHECK(at(c, 0x7ffff7001000).kind == SegmentKind::AnonMmap);
    CHECK(at(c, 0x7ffff7000000).tid == 0);
    CHECK(has_note(c, "thread stacks not located"));
  }
  SECTION("syscall files denied") {
    ClassifyInput in = base_input();
    in.threads->found = {{100, 0x7fffffffe000}};
    in.threads->denied = {101, 102};
    const Classified c = classify(in);
    CHECK(at(c, 0x7ffff7001000).kind == SegmentKind::AnonMmap);
    CHECK(at(c, 0x7ffff7802000).kind == SegmentKind::AnonMmap);
    CHECK(has_note(c, "(101,102)"));
    CHECK(has_note(c, "root or CAP_SYS_PTRACE"));
  }
  SECTION("a thread kept running") {
    ClassifyInput in = base_input();
    in.threads->found.pop_back();
    in.threads->running = {102};
    const Classified c = classify(in);
    CHECK(at(c, 0x7ffff7802000).kind == SegmentKind::AnonMmap);
    CHECK(at(c, 0x7ffff7001000).kind == SegmentKind::ThreadStack);
    CHECK(has_note(c, "kept running"));
  }
  SECTION("a thread on a user-allocated stack in the heap") {
    ClassifyInput in = base_input();
    in.threads->found.push_back({103, 0x555556010000});
    const Classified c = classify(in);
    CHECK(at(c, 0x555556010000).kind == SegmentKind::Heap);
    CHECK(has_note(c, "thread 103 runs on a stack inside a heap mapping"));
  }
}

TEST_CASE("classify finds the executable by start_code when /proc/PID/exe is unreadable", "[maps][classify]") {
  ClassifyInput in = base_input();
  in.exe.clear();
  in.elf.reset();
  const Classified c = classify(in);
  CHECK(c.exe_path == "/srv/app server");
  CHECK(at(c, 0x555555555000).kind == SegmentKind::Text);
  CHECK(at(c, 0x555555558000).kind == SegmentKind::Data);
  CHECK(at(c, 0x555555559000).kind == SegmentKind::AnonMmap);  // without the ELF, bss cannot be told
  CHECK(has_note(c, "ELF headers unreadable"));

  in.layout.start_code = 0;
  const Classified none = classify(in);
  CHECK(none.exe_path.empty());
  CHECK(at(none, 0x555555555000).kind == SegmentKind::SharedLib);  // a file with code: a loaded object
  CHECK(has_note(none, "executable not known"));
}

TEST_CASE("classify handles a deleted executable and a non-PIE one", "[maps][classify]") {
  ClassifyInput in = base_input();
  for (MemorySegment& s : in.segments)
    if (s.path == "/srv/app server") s.path += " (deleted)";
  in.exe = "/srv/app server (deleted)";
  Classified c = classify(in);
  CHECK(at(c, 0x555555555000).kind == SegmentKind::Text);
  CHECK(at(c, 0x555555559000).kind == SegmentKind::Bss);

  ClassifyInput fixed;
  fixed.pid = 7;
  fixed.segments = parse_maps(
      "00400000-00401000 r-xp 00000000 fe:00 9 /bin/old\n"
      "00600000-00601000 rw-p 00000000 fe:00 9 /bin/old\n"
      "00601000-00603000 rw-p 00000000 00:00 0 \n");
  fixed.exe = "/bin/old";
  ElfImage e;
  e.loads = {{0x400000, 0, 0x1000, 0x1000, PF_R | PF_X}, {0x600000, 0, 0x800, 0x2800, PF_R | PF_W}};
  fixed.elf = e;
  fixed.threads = ThreadSps{};
  c = classify(fixed);
  CHECK(c.load_bias == 0);
  CHECK(at(c, 0x601000).kind == SegmentKind::Bss);
  CHECK(c.bss.start == 0x600800);
  CHECK(c.bss.in_data_page == 0x800);
  CHECK(c.bss.in_anonymous == 0x1800);
  CHECK(c.bss.anonymous == 0x2000);
}
