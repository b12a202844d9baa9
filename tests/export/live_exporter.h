// live_exporter.h: a `taskscope export` the live tests start and scrape (export_live_test,
// prometheus_test).
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../support/support.h"

namespace ts::test {

using namespace std::chrono_literals;

// Exporter is a running `taskscope export --listen 127.0.0.1:0 --json`: its port from the JSON line.
class Exporter {
 public:
  explicit Exporter(std::vector<std::string> extra = {}) {
    int out[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    std::vector<std::string> argv = {ts::test::taskscope_bin(), "export", "--listen", "127.0.0.1:0", "--json", "-d", "0.2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = ts::test::spawn(argv, -1, out[1], -1);
    close(out[1]);
    out_ = out[0];
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char c;
      if (read(out_, &c, 1) != 1) break;
      line += c;
    }
    INFO(line);
    const auto j = nlohmann::json::parse(line);
    REQUIRE(j["type"] == "listen");
    port_ = j["port"].get<int>();
    REQUIRE(port_ > 0);
  }
  ~Exporter() {
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
    close(out_);
  }
  int port() const { return port_; }
  // scrape() GETs /metrics (OpenMetrics asked) with a client that gives up after `timeout`;
  // retries a 503 (no collection yet) for up to 10 s.
  httplib::Result scrape(std::chrono::seconds timeout = 4s, const char* accept = "application/openmetrics-text;version=1.0.0") {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_connection_timeout(timeout);
    cli.set_read_timeout(timeout);
    for (int i = 0; i < 50; ++i) {
      auto r = cli.Get("/metrics", {{"Accept", accept}});
      if (!r || r->status != 503) return r;
      std::this_thread::sleep_for(200ms);
    }
    return cli.Get("/metrics", {{"Accept", accept}});
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
};

// value() is the value of the sample line starting with `prefix` (-1 when absent).
inline double value(const std::string& page, const std::string& prefix) {
  for (const std::string& l : ts::test::lines(page))
    if (l.starts_with(prefix)) return std::stod(l.substr(l.rfind(' ') + 1));
  return -1;
}

}  // namespace ts::test
