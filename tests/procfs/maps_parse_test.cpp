// maps_parse_test.cpp: the /proc text parsers behind `taskscope maps`, on saved text.
#include <catch2/catch.hpp>

#include <elf.h>
#include <unistd.h>

#include "procfs/maps_elf.h"
#include "procfs/maps_layout.h"
#include "procfs/maps_parse.h"
#include "procfs/maps_reader.h"
#include "procfs/maps_smaps.h"
#include "procfs/maps_threads.h"

using namespace ts;

namespace {

// A saved maps file with the pathnames that trip naive parsers.
const char* const kMaps =
    "55d0c8a00000-55d0c8a02000 r--p 00000000 fe:00 1234                       /opt/my app/bin/server (deleted)\n"
    "55d0c8a02000-55d0c8a05000 r-xp 00002000 fe:00 1234                       /opt/my app/bin/server (deleted)\n"
    "55d0ca000000-55d0ca021000 rw-p 00000000 00:00 0                          [heap]\n"
    "7f1000000000-7f1000001000 rw-s 00000000 00:01 5678                       /dev/shm/ring buffer\n"
    "7f1000001000-7f1000002000 rw-p 00000000 00:00 0                          [anon:glibc: malloc arena]\n"
    "7f1000002000-7f1000003000 r--p 00000000 fe:00 99                         /tmp/odd (deleted) (deleted)\n"
    "7f1000003000-7f1000004000 rw-p 00000000 00:00 0 \n"
    "7f1000004000-7f1000005000 ---p 00000000 00:00 0\n"
    "garbage line\n"
    "7f1000006000-7f1000005000 r--p 00000000 00:00 0\n"
    "7f1000007000-7f1000008000 r--p 0000\n"
    "7ffd7ff08000-7ffd7ff29000 rw-p 00000000 00:00 0                          [stack]\n"
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

}  // namespace

TEST_CASE("parse_maps keeps spaces and (deleted) in pathnames and skips malformed lines", "[maps][parse]") {
  size_t skipped = 0;
  const std::vector<MemorySegment> m = parse_maps(kMaps, &skipped);
  CHECK(skipped == 3);
  REQUIRE(m.size() == 10);
  CHECK(m[0].start == 0x55d0c8a00000);
  CHECK(m[0].end == 0x55d0c8a02000);
  CHECK(m[0].size() == 0x2000);
  CHECK(m[0].perms == "r--p");
  CHECK(m[0].inode == 1234);
  CHECK(m[0].path == "/opt/my app/bin/server (deleted)");
  CHECK(is_deleted(m[0].path));
  CHECK(mapping_file(m[0].path) == "/opt/my app/bin/server");
  CHECK(m[1].offset == 0x2000);
  CHECK(m[2].path == "[heap]");
  CHECK(is_pseudo_path(m[2].path));
  CHECK(m[3].path == "/dev/shm/ring buffer");
  CHECK(m[3].perms == "rw-s");
  CHECK(m[4].path == "[anon:glibc: malloc arena]");
  CHECK(mapping_file(m[5].path) == "/tmp/odd (deleted)");
  CHECK(m[6].path.empty());
  CHECK(m[7].path.empty());
  CHECK(m[7].perms == "---p");
  CHECK(m[8].path == "[stack]");
  CHECK(m[9].start == 0xffffffffff600000);
  CHECK(m[9].path == "[vsyscall]");
  CHECK_FALSE(is_deleted("(deleted)"));
  CHECK_FALSE(is_pseudo_path("/x[y]"));
}

TEST_CASE("parse_maps_line turns the kernel's \\012 back into the newline of the real file name", "[maps][parse]") {
  const auto m = parse_maps_line("7f0000000000-7f0000001000 r--s 00000000 fe:00 42    /tmp/evil\x1b[7m\\012name (deleted)");
  REQUIRE(m);
  CHECK(m->path == "/tmp/evil\x1b[7m\nname (deleted)");
  CHECK(mapping_file(m->path) == "/tmp/evil\x1b[7m\nname");
}

TEST_CASE("parse_maps_line rejects truncated and inverted lines", "[maps][parse]") {
  CHECK_FALSE(parse_maps_line(""));
  CHECK_FALSE(parse_maps_line("7f00-"));
  CHECK_FALSE(parse_maps_line("7f00-7f10 r--p"));
  CHECK_FALSE(parse_maps_line("7f10-7f00 r--p 0 00:00 0"));
  CHECK_FALSE(parse_maps_line("7f00-7f10 r-p 0 00:00 0"));
  CHECK_FALSE(parse_maps_line("7f00-7f10 r--p 0 0000 0"));
  CHECK_FALSE(parse_maps_line("7f00-7f10 r--p 0 00:00 12x /a"));
  REQUIRE(parse_maps_line("7f00-7f10 r--p 0 00:00 0"));
  CHECK(parse_maps_line("7f00-7f10 r--p 0 00:00 0")->path.empty());
}

TEST_CASE("parse_smaps picks Rss and Pss per mapping, and apply_smaps matches by range", "[maps][parse]") {
  const char* smaps =
      "55d0c8a00000-55d0c8a02000 r--p 00000000 fe:00 1234                       /opt/my app: x/server\n"
      "Size:                  8 kB\n"
      "Rss:                   8 kB\n"
      "Pss:                   3 kB\n"
      "Pss_Dirty:             1 kB\n"
      "Anonymous:             0 kB\n"
      "VmFlags: rd mr mw me\n"
      "55d0ca000000-55d0ca021000 rw-p 00000000 00:00 0                          [heap]\n"
      "Size:                132 kB\n"
      "Rss:                 108 kB\n"
      "Pss:                 108 kB\n"
      "7f1000003000-7f1000004000 rw-p 00000000 00:00 0 \n"
      "Size:                  4 kB\n";
  const std::vector<SmapsEntry> e = parse_smaps(smaps);
  REQUIRE(e.size() == 3);
  CHECK(e[0].rss == 8 * 1024);
  CHECK(e[0].pss == 3 * 1024);
  CHECK(e[1].start == 0x55d0ca000000);
  CHECK(e[1].rss == 108 * 1024);
  CHECK(e[2].rss == -1);

  std::vector<MemorySegment> segs = parse_maps(kMaps);
  apply_smaps(segs, e);
  CHECK(segs[0].rss_bytes == 8 * 1024);
  CHECK(segs[1].rss_bytes == -1);  // no smaps record for it
  CHECK(segs[2].pss_bytes == 108 * 1024);
  CHECK(segs[6].rss_bytes == -1);
}

TEST_CASE("parse_smaps_rollup reads the totals", "[maps][parse]") {
  const SmapsRollup r = parse_smaps_rollup(
      "561ecae21000-7ffd187b9000 ---p 00000000 00:00 0                          [rollup]\n"
      "Rss:                1680 kB\nPss:                 263 kB\nPss_Dirty:           112 kB\n"
      "Pss_Anon:            112 kB\nPss_File:            151 kB\nSwap:                  4 kB\nSwapPss: 4 kB\n");
  CHECK(r.rss == 1680 * 1024);
  CHECK(r.pss == 263 * 1024);
  CHECK(r.pss_anon == 112 * 1024);
  CHECK(r.pss_file == 151 * 1024);
  CHECK(r.swap == 4 * 1024);
  CHECK(parse_smaps_rollup("").rss == -1);
}

TEST_CASE("parse_stat_layout counts fields from the last ')' of comm", "[maps][parse]") {
  // Fields 26-28 are start_code, end_code, start_stack; 45-47 start_data, end_data, start_brk.
  const std::string stat =
      "4242 ((a) b)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 12345 10000000 300 "
      "18446744073709551615 94000000000000 94000000004096 140730000000000 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 "
      "94000000008192 94000000012288 94000100000000 140730000001000 140730000002000 140730000002000 "
      "140730000003000 0\n";
  const std::optional<AddressLayout> l = parse_stat_layout(stat);
  REQUIRE(l);
  CHECK(l->start_code == 94000000000000ull);
  CHECK(l->end_code == 94000000004096ull);
  CHECK(l->start_stack == 140730000000000ull);
  CHECK(l->start_data == 94000000008192ull);
  CHECK(l->end_data == 94000000012288ull);
  CHECK(l->start_brk == 94000100000000ull);
  CHECK(l->brk == 0);
  CHECK_FALSE(parse_stat_layout("4242 (x) S 1 2 3"));
  CHECK_FALSE(parse_stat_layout("no paren at all"));
}

TEST_CASE("read_layout reads our own process", "[maps][parse]") {
  const std::optional<AddressLayout> l = read_layout(getpid());
  REQUIRE(l);
  const auto here = reinterpret_cast<uint64_t>(&read_layout);  // lib code is linked into this binary's text
  CHECK(l->start_code <= here);
  CHECK(here < l->end_code);
  CHECK(l->start_brk != 0);
  CHECK(l->start_stack > l->start_brk);
}

TEST_CASE("parse_syscall_sp reads the stack pointer of a blocked thread", "[maps][parse]") {
  CHECK(parse_syscall_sp("0 0x3 0x7f78369cd000 0x20000 0x7f7836a5eb60 0xffffffff 0x0 0x7fffa37b3f28 0x7f7836b472ad\n") ==
        0x7fffa37b3f28ull);
  CHECK(parse_syscall_sp("-1 0x7ffc1234 0x401000\n") == 0x7ffc1234ull);
  CHECK_FALSE(parse_syscall_sp("running\n"));
  CHECK_FALSE(parse_syscall_sp(""));
  CHECK_FALSE(parse_syscall_sp("0 0x1 0x2"));
  CHECK_FALSE(parse_syscall_sp("-1 zz 0x401000"));
}

TEST_CASE("parse_vm_status keeps the Vm and Rss lines in bytes", "[maps][parse]") {
  const VmStatus st = parse_vm_status(
      "Name:\tcat\nVmPeak:\t    5432 kB\nVmSize:\t    5432 kB\nVmExe:\t      20 kB\nRssAnon:\t     112 kB\nThreads:\t1\n");
  REQUIRE(st.lines.size() == 4);
  CHECK(st.lines[0].first == "VmPeak");
  CHECK(st.lines[0].second == 5432u * 1024);
  CHECK(st.lines[2].first == "VmExe");
  CHECK(st.lines[3].first == "RssAnon");
}

TEST_CASE("berkeley_size sums sections as GNU size does", "[maps][parse]") {
  const std::vector<ElfSection> secs = {
      {100, SHF_ALLOC | SHF_EXECINSTR, SHT_PROGBITS},            // .text
      {40, SHF_ALLOC, SHT_PROGBITS},                             // .rodata
      {8, SHF_ALLOC | SHF_WRITE, SHT_INIT_ARRAY},                // .init_array
      {64, SHF_ALLOC | SHF_WRITE, SHT_PROGBITS},                 // .data
      {4096, SHF_ALLOC | SHF_WRITE, SHT_NOBITS},                 // .bss
      {16, SHF_ALLOC | SHF_WRITE | SHF_TLS, SHT_NOBITS},         // .tbss
      {999, 0, SHT_PROGBITS},                                    // .comment: not allocated
      {12, SHF_ALLOC | SHF_WRITE | SHF_EXECINSTR, SHT_PROGBITS},  // writable code counts as text
  };
  const SizeTotals t = berkeley_size(secs);
  CHECK(t.text == 152);
  CHECK(t.data == 72);
  CHECK(t.bss == 4112);
  CHECK(t.dec() == 152 + 72 + 4112);
}
