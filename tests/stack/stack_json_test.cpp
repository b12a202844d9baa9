// stack_json_test.cpp: print_json's objects: frames shared by many threads are written once and
// reused, so each array must still say exactly its own frames (the same pc in another inline
// position, another file, another line), and strings from the target stay exact.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "stack/format.h"

using nlohmann::json;
using ts::stack::Frame;

namespace {

Frame frame(uint64_t pc, std::string fn, std::string file, int line, bool inlined) {
  Frame f;
  f.pc = pc;
  f.function = std::move(fn);
  f.file = std::move(file);
  f.line = line;
  f.inlined = inlined;
  f.module = "libx.so";
  f.module_path = "/lib/libx.so";
  f.offset = 0x10;
  f.module_addr = pc - 0x1000;
  f.build_id = "abcd";
  return f;
}

// expected() is a frame as the NDJSON promises it.
json expected(const Frame& f) {
  char pc[32], addr[32];
  std::snprintf(pc, sizeof pc, "0x%llx", static_cast<unsigned long long>(f.pc));
  std::snprintf(addr, sizeof addr, "0x%llx", static_cast<unsigned long long>(f.module_addr));
  return json{{"pc", pc}, {"function", f.function}, {"file", f.file}, {"line", f.line}, {"inline", f.inlined},
              {"module", f.module}, {"offset", f.offset}, {"module_addr", addr}, {"module_path", f.module_path},
              {"build_id", f.build_id}};
}

}  // namespace

TEST_CASE("stack --json: each thread's and G's frames exactly, however many share them", "[stack]") {
  ts::stack::Dump d;
  d.pid = 42;
  const Frame inl = frame(0x1234, "inner", "a.c", 7, true);
  const Frame outer = frame(0x1234, "outer", "a.c", 9, false);
  const Frame other_file = frame(0x1234, "outer", "b.c", 9, false);
  const Frame quoted = frame(0x2000, "f\"frames\":null", "q\"\\.c", 3, false);
  for (int i = 0; i < 3; ++i) {
    ts::stack::ThreadStack t;
    t.tid = 100 + i;
    t.number = i + 1;
    t.name = "w\"frames\":null";
    t.frames = i == 1 ? std::vector<Frame>{inl, other_file} : std::vector<Frame>{inl, outer, quoted};
    d.threads.push_back(t);
  }
  ts::stack::GStack g;
  g.g.goid = 7;
  g.frames = {outer};
  g.created_by = {quoted, inl};
  d.gs.push_back(g);
  std::ostringstream out;
  ts::stack::print_json(out, d);
  std::istringstream in(out.str());
  std::vector<json> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
  REQUIRE(lines.size() == 5);
  for (int i = 0; i < 3; ++i) {
    CHECK(lines[i]["tid"] == 100 + i);
    CHECK(lines[i]["name"] == "w\"frames\":null");
    const std::vector<Frame>& want = d.threads[i].frames;
    REQUIRE(lines[i]["frames"].size() == want.size());
    for (size_t k = 0; k < want.size(); ++k) CHECK(lines[i]["frames"][k] == expected(want[k]));
  }
  CHECK(lines[3]["type"] == "goroutine");
  CHECK(lines[3]["frames"] == json::array({expected(outer)}));
  CHECK(lines[3]["created_by"] == json::array({expected(quoted), expected(inl)}));
  CHECK(lines[4]["type"] == "end");
}
