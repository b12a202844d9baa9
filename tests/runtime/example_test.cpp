// example_test.cpp: the runtime/examples programs do what their comments promise.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "../support/support.h"

namespace {

std::string example(const std::string& name) { return "../examples/" + name; }  // relative to fixtures/

}  // namespace

TEST_CASE("examples: prime_sieve prints the first N primes", "[goro][example]") {
  auto r = ts::test::run({ts::test::build_dir() + "/examples/prime_sieve", "12"});
  REQUIRE(r.status == 0);
  std::istringstream in(r.out);
  std::vector<int> primes;
  for (int p; in >> p;) primes.push_back(p);
  CHECK(primes == std::vector<int>{2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37});
}

// connect_loopback() is a TCP socket connected to 127.0.0.1:port (-1 when that fails).
static int connect_loopback(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(s);
    return -1;
  }
  return s;
}

TEST_CASE("examples: echo_server echoes over TCP and exits when stdin closes", "[goro][example]") {
  ts::test::Fixture server(example("echo_server"), {"0"});
  auto at = server.facts().rfind(':');
  REQUIRE(at != std::string::npos);
  int port = std::stoi(server.facts().substr(at + 1));
  REQUIRE(port > 0);
  for (int client = 0; client < 3; ++client) {
    int s = connect_loopback(port);
    REQUIRE(s >= 0);
    std::string msg = "hello " + std::to_string(client);
    REQUIRE(write(s, msg.data(), msg.size()) == static_cast<ssize_t>(msg.size()));
    std::string back;
    char buf[64];
    while (back.size() < msg.size()) {
      ssize_t n = read(s, buf, sizeof buf);
      if (n <= 0) break;
      back.append(buf, static_cast<size_t>(n));
    }
    close(s);
    CHECK(back == msg);
  }
  // An idle client still connected at shutdown: the server closes it and exits cleanly anyway.
  int idle = connect_loopback(port);
  REQUIRE(idle >= 0);
  REQUIRE(write(idle, "x", 1) == 1);
  char c = 0;
  REQUIRE(read(idle, &c, 1) == 1);  // served: its G is now parked in IO wait
  CHECK(server.stop() == 0);
  CHECK(read(idle, &c, 1) == 0);  // closed by the server, not left hanging
  close(idle);
}

TEST_CASE("examples: spawn_storm parks N goroutines, reports them, and releases them all", "[goro][example]") {
  ts::test::Fixture storm(example("spawn_storm"), {"600"});  // small: TSan builds spawn slowly
  auto facts = nlohmann::json::parse(storm.facts());
  CHECK(facts["pid"] == storm.pid());
  CHECK(facts["goroutines"] == 600);
  CHECK(facts["chan_receive"].get<int>() + facts["waitgroup_wait"].get<int>() + facts["select"].get<int>() == 600);
  CHECK(facts["rss_kib"].get<long>() > 0);
  CHECK(storm.stop() == 0);
}
