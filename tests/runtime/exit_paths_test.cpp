// exit_paths_test.cpp: /dev/shm/goro.<pid> is published while run() is active and gone after every
// way the process can end: run() returning, exit(), the runtime's fatal errors, panics and
// deadlock (all _exit(2)), a stack overflow, abort(), an exception escaping a G, and SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../support/support.h"

TEST_CASE("the published segment is unlinked on every exit path", "[goro][introspect][exit]") {
  auto [mode, status] = GENERATE(table<std::string, int>({
      {"return", 0},
      {"exit", 3},
      {"fatal", 2},
      {"deadlock", 2},
      {"panic", 2},
      {"sync-fatal", 2},
      {"overflow", 128 + SIGSEGV},
      {"abort", 128 + SIGABRT},
      {"uncaught", 128 + SIGABRT},
      {"sigterm", 128 + SIGTERM},
  }));
  auto r = ts::test::run({ts::test::fixture_path("goro_exit_paths"), mode});
  INFO(mode << ": stdout " << r.out << "stderr " << r.err);
  CHECK(r.status == status);
  auto facts = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  std::string path = facts.at("segment");
  CHECK(path == "/dev/shm/goro." + std::to_string(facts.at("pid").get<int>()));
  CHECK(facts.at("published") == true);
  CHECK(access(path.c_str(), F_OK) != 0);
}
