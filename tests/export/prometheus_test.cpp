// prometheus_test.cpp: a real Prometheus (Debian's `prometheus` package) scrapes `taskscope export`
// every second; the test asks Prometheus's HTTP API for a fixture's context-switch counter and a goro
// program's goroutine count and checks they arrived with the right labels. Missing prometheus
// skips visibly, and fails under TASKSCOPE_REQUIRE_BPF=1 (CI installs it: `make deps`).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "../support/support.h"
#include "live_exporter.h"

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";

// free_port() is a loopback port nothing listened on a moment ago (a collision is retried).
int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  close(s);
  return ntohs(a.sin_port);
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Prometheus is a prometheus server in a temporary directory (config, data, log), scraping
// `target` every second, on a free loopback port; killed and removed at the end.
class Prometheus {
 public:
  explicit Prometheus(int target) {
    char tmpl[] = "/tmp/ts-prometheus-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    dir_ = tmpl;
    std::ofstream(dir_ / "prometheus.yml") << "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
                                              "scrape_configs:\n"
                                              "  - job_name: taskscope\n"
                                              "    static_configs: [{targets: ['127.0.0.1:"
                                           << target << "']}]\n";
    for (int attempt = 0; attempt < 3 && !ready(); ++attempt) start();
    INFO(slurp(dir_ / "log"));
    REQUIRE(ready());
  }
  ~Prometheus() {
    stop();
    std::filesystem::remove_all(dir_);
  }
  Prometheus(const Prometheus&) = delete;
  Prometheus& operator=(const Prometheus&) = delete;

  // query() is the result vector of an instant PromQL query (empty on any failure).
  json query(const std::string& promql) {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_read_timeout(2s);
    auto r = cli.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
    if (!r || r->status != 200) return json::array();
    const json j = json::parse(r->body, nullptr, false);
    if (!j.is_object() || j.value("status", "") != "success") return json::array();
    return j["data"]["result"];
  }
  // poll() repeats query() until it has a series (at most `within`); the last result.
  json poll(const std::string& promql, std::chrono::seconds within = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    json r = query(promql);
    while (r.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(250ms);
      r = query(promql);
    }
    return r;
  }
  // targets() is /api/v1/targets, what explains a failed scrape (health, lastError).
  std::string targets() {
    httplib::Client cli("127.0.0.1", port_);
    auto r = cli.Get("/api/v1/targets");
    return r ? r->body : "(no answer)";
  }

 private:
  bool ready() const { return ready_; }
  void start() {
    stop();
    port_ = free_port();
    const int log = open((dir_ / "log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(log >= 0);
    pid_ = ts::test::spawn({kPrometheus, "--config.file=" + (dir_ / "prometheus.yml").string(),
                            "--storage.tsdb.path=" + (dir_ / "data").string(),
                            "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
                           -1, log, log);
    close(log);
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    httplib::Client cli("127.0.0.1", port_);
    cli.set_connection_timeout(1s);
    while (std::chrono::steady_clock::now() < deadline) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {  // exited: most likely the port was taken meanwhile
        pid_ = -1;
        return;
      }
      auto r = cli.Get("/-/ready");
      if (r && r->status == 200) {
        ready_ = true;
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
  }
  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool ready_ = false;
};

}  // namespace

TEST_CASE("a real Prometheus scrapes export: a fixture's switches and G counts arrive labelled", "[export][prometheus]") {
  if (access(kPrometheus, X_OK) != 0) {
    if (ts::test::bpf_required()) FAIL("prometheus is required here (CI: make deps installs Debian's prometheus)");
    WARN("SKIPPED: prometheus not installed (Debian's prometheus package; make deps installs it)");
    return;
  }
  ts::test::Fixture ping("pingpong", {"0"});
  REQUIRE(kill(ping.pid(), SIGUSR1) == 0);  // the two threads play until stdin closes
  ts::test::Fixture gor("goro_gmp_target", {"3"});
  const json gf = json::parse(gor.facts());
  const int k = gf["k"];
  ts::test::Exporter ex;
  Prometheus prom(ex.port());

  const std::string ping_sel = "taskscope_process_context_switches_total{pid=\"" + std::to_string(ping.pid()) + "\",kind=\"voluntary\"}";
  const json sw = prom.poll(ping_sel);
  INFO(prom.targets());
  REQUIRE(sw.size() == 1);
  const json& m = sw[0]["metric"];
  CHECK(m["job"] == "taskscope");
  CHECK(m["instance"] == "127.0.0.1:" + std::to_string(ex.port()));
  CHECK(m["comm"] == "pingpong");
  CHECK(std::stod(sw[0]["value"][1].get<std::string>()) > 0);
  // The counter grows between scrapes (the threads keep switching): Prometheus sees a rate.
  const json rate = prom.poll("rate(" + ping_sel + "[5s]) > 0");
  CHECK(rate.size() == 1);

  // goro_gmp_target parks k Gs on each of a channel, a sleep and a mutex: 3k waiting.
  const std::string gsel = "taskscope_goroutines{pid=\"" + std::to_string(gor.pid()) + "\",state=\"waiting\"}";
  const json gs = prom.poll(gsel);
  REQUIRE(gs.size() == 1);
  CHECK(gs[0]["metric"]["comm"] == "goro_gmp_target");
  CHECK(gs[0]["metric"]["job"] == "taskscope");
  CHECK(std::stod(gs[0]["value"][1].get<std::string>()) == 3 * k);
  const json procs = prom.poll("taskscope_gmp_run_queue_length{pid=\"" + std::to_string(gor.pid()) + "\",p=\"global\"}");
  CHECK(procs.size() == 1);
}
