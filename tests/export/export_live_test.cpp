// export_live_test.cpp: `taskscope export` as Prometheus meets it: started on a free port, scraped
// with cpp-httplib's client; a fixture's threads and its growing context switches; idle clients
// that do not hold up a scrape; promtool's lint; one-line errors for a bad --listen or a port in use.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <thread>

#include "../support/support.h"
#include "live_exporter.h"

using namespace std::chrono_literals;
using ts::test::Exporter;
using ts::test::taskscope_bin;
using ts::test::value;

TEST_CASE("export serves a fixture's threads and its growing context switches", "[export][live]") {
  ts::test::Fixture many("many_threads", {"5"});
  ts::test::Fixture ping("pingpong", {"0"});
  REQUIRE(kill(ping.pid(), SIGUSR1) == 0);  // the two threads play until stdin closes
  const auto facts = nlohmann::json::parse(many.facts());
  Exporter ex;
  auto r = ex.scrape();
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8");
  CHECK(r->body.ends_with("# EOF\n"));
  const std::string mt = "{pid=\"" + std::to_string(many.pid()) + "\",comm=\"many_threads\"";
  INFO(r->body.substr(0, 2000));
  // It may take a frame for the fixture to appear: both are running before export starts.
  CHECK(value(r->body, "taskscope_process_threads" + mt + "}") == facts["threads"].get<int>() + 1);
  const std::string pp = "taskscope_process_context_switches_total{pid=\"" + std::to_string(ping.pid()) + "\",comm=\"pingpong\"";
  const double first = value(r->body, pp + ",kind=\"voluntary\"}");
  REQUIRE(first >= 0);
  double later = first;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (later <= first && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(300ms);
    auto r2 = ex.scrape();
    REQUIRE(r2);
    later = value(r2->body, pp + ",kind=\"voluntary\"}");
  }
  CHECK(later > first);

  // Text 0.0.4 when Accept does not ask for OpenMetrics (curl's */*).
  auto t = ex.scrape(4s, "*/*");
  REQUIRE(t);
  CHECK(t->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(t->body.find("# EOF") == std::string::npos);
  CHECK(t->body.find("# TYPE taskscope_process_cpu_seconds_total counter\n") != std::string::npos);
}

TEST_CASE("many idle connections do not hold up a scrape, and are closed soon", "[export][live]") {
  Exporter ex;
  REQUIRE(ex.scrape());
  // Forty clients connect and send nothing (more than httplib's 8 workers, which used to serve
  // them one after the other, each for its 5 s wait: a scrape queued behind them for 25 s).
  std::vector<int> idle;
  for (int i = 0; i < 40; ++i) {
    const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(ex.port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    idle.push_back(s);
  }
  std::this_thread::sleep_for(200ms);  // the server has taken them all
  for (int i = 0; i < 3; ++i) {
    auto r = ex.scrape(3s);
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  // The server closes a connection that sends no request within its 2 s idle limit.
  for (int s : idle) {
    pollfd p{s, POLLIN, 0};
    CHECK(poll(&p, 1, 15000) == 1);
    char c;
    CHECK(read(s, &c, 1) == 0);
    close(s);
  }
}

TEST_CASE("promtool accepts the text page", "[export][live]") {
  if (access("/usr/bin/promtool", X_OK) != 0) {
    if (ts::test::bpf_required()) FAIL("promtool is required here (CI: make deps installs Debian's prometheus)");
    WARN("SKIPPED: promtool not installed (Debian's prometheus package; make deps installs it)");
    return;
  }
  Exporter ex({"--threads=top:5"});
  auto r = ex.scrape(4s, "text/plain;version=0.0.4");
  REQUIRE(r);
  char path[] = "/tmp/ts-export-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << r->body;
  auto lint = ts::test::run({"/bin/sh", "-c", std::string("promtool check metrics < ") + path}, 30s);
  unlink(path);
  INFO(lint.out << lint.err);
  CHECK(lint.status == 0);
}

TEST_CASE("export: a bad --listen is a usage error, a port in use names the address", "[export][cli]") {
  for (const char* bad : {"nonsense", "localhost:80", "127.0.0.1:70000"}) {
    auto r = ts::test::run({taskscope_bin(), "export", "--listen", bad}, 10s);
    CHECK(r.status == 2);
    CHECK(r.err.starts_with(std::string("taskscope: --listen ") + bad + ": "));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  auto r = ts::test::run({taskscope_bin(), "export", "--threads=all"}, 10s);
  CHECK(r.status == 2);
  CHECK(r.err.starts_with("taskscope: --threads all: "));

  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(listen(s, 1) == 0);
  socklen_t len = sizeof a;
  REQUIRE(getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  const std::string addr = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  r = ts::test::run({taskscope_bin(), "export", "--listen", addr}, 10s);
  close(s);
  CHECK(r.status == 1);
  CHECK(r.err.starts_with("taskscope: cannot listen on " + addr + ": "));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("export loads its HTTP server plugin only when it serves, and names a missing one", "[export][cli]") {
  // Other commands never load it (nor cpp-httplib and OpenSSL behind it): ps runs with none there.
  auto ps = ts::test::run({"/usr/bin/env", "TASKSCOPE_HTTP_PLUGIN=/nonexistent/http.so", taskscope_bin(), "ps", "-p", "1"}, 30s);
  CHECK(ps.status == 0);
  CHECK(ps.err.empty());
  auto r = ts::test::run({"/usr/bin/env", "TASKSCOPE_HTTP_PLUGIN=/nonexistent/http.so", taskscope_bin(), "export",
                          "--listen", "127.0.0.1:0"}, 30s);
  CHECK(r.status == 1);
  CHECK(r.err.starts_with("taskscope: cannot load the HTTP server plugin /nonexistent/http.so: "));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  // The taskscope binary itself does not link cpp-httplib.
  auto ldd = ts::test::run({"/usr/bin/ldd", taskscope_bin()}, 30s);
  REQUIRE(ldd.status == 0);
  CHECK(ldd.out.find("libcpp-httplib") == std::string::npos);
  CHECK(ldd.out.find("libssl") == std::string::npos);
}
