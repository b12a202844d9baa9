// top_screen_test.cpp: `taskscope top` on a real terminal: started in a detached tmux session of a
// fixed size, driven with send-keys, read back with capture-pane. Waits are generous (wait_for):
// nothing here times the program.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "../support/support.h"
#include "../support/tmux.h"
#include "bpf/bpf_common.h"

using namespace ts::test;
using nlohmann::json;

namespace {

constexpr auto kLong = std::chrono::seconds(60);  // a loaded shared machine can be slow to load BPF
const std::vector<std::string> kUtf8{"LANG=C.UTF-8", "LC_ALL=C.UTF-8"};

std::vector<std::string> top_argv(std::vector<std::string> args) {
  args.insert(args.begin(), {taskscope_bin(), "top", "-d", "0.5"});
  return args;
}

int pid_of(const Fixture& fx) { return json::parse(fx.facts())["pid"].get<int>(); }

// line_with() is the first screen line containing `needle`, or "".
std::string line_with(const std::string& screen, const std::string& needle) {
  for (const std::string& l : lines(screen))
    if (l.find(needle) != std::string::npos) return l;
  return "";
}

// first_child() is the pid of the first child of `pid` (the program a wrapper shell started).
int first_child(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  int c = 0;
  f >> c;
  return c;
}

}  // namespace

TEST_CASE("top -H shows a process's threads by their own names; the filter and search find them", "[top][tmux]") {
  REQUIRE(tmux_usable());
  Fixture fx("named_threads", {"3"});
  Fixture other("segments");
  const std::string pid = std::to_string(pid_of(fx)), pid2 = std::to_string(pid_of(other));
  TmuxSession s(top_argv({"-H", "-p", pid + "," + pid2}), 160, 40, kUtf8);
  REQUIRE(s.wait_for([](const std::string& t) {
    return t.find("worker-0") != std::string::npos && t.find("worker-1") != std::string::npos &&
           t.find("worker-2") != std::string::npos;
  }, kLong));
  INFO(s.text());
  CHECK(s.text().find("TID") != std::string::npos);

  // \ filters: only worker-1 (under its process) stays.
  s.send("\\");
  s.send("worker-1", true);
  REQUIRE(s.wait_for([](const std::string& t) {
    return t.find("worker-1") != std::string::npos && t.find("worker-0") == std::string::npos &&
           t.find("Filter: worker-1") != std::string::npos;
  }, kLong));
  s.send("Escape");
  REQUIRE(s.wait_for_text("worker-0", kLong));

  // / searches: the selection lands on a worker thread of the named_threads process, which Enter opens.
  s.send("/");
  s.send("worker-2", true);
  REQUIRE(s.wait_for_text("Search: worker-2", kLong));
  s.send("Enter");
  s.send("Enter");
  REQUIRE(s.wait_for_text("pid " + pid + " (named_threads)", kLong));
  s.send("Escape");
  s.send("q");
  const bool ended = s.wait_for([&](const std::string&) { return s.exit_status() != -1; }, kLong);
  INFO("alive " << s.alive() << " pid " << s.pid() << "\n" << s.text());
  REQUIRE(ended);
  CHECK(s.exit_status() == 0);
}

TEST_CASE("top's sort menu and I change the order of the rows", "[top][tmux]") {
  REQUIRE(tmux_usable());
  Fixture a("named_threads", {"1"});
  Fixture b("named_threads", {"2"});
  const std::string pa = std::to_string(pid_of(a)), pb = std::to_string(pid_of(b));
  const std::string lo = std::min(pa, pb, [](auto& x, auto& y) { return std::stoi(x) < std::stoi(y); });
  const std::string hi = lo == pa ? pb : pa;
  TmuxSession s(top_argv({"-p", pa + "," + pb}), 140, 30, kUtf8);
  auto order = [&](const std::string& t) {
    // Where each pid's row starts (the PID column is right-aligned).
    auto at = [&](const std::string& pid) {
      std::smatch m;
      return std::regex_search(t, m, std::regex("\n *" + pid + " ")) ? m.position(0) : -1;
    };
    const long x = at(lo), y = at(hi);
    return x < 0 || y < 0 ? 0 : x < y ? 1 : -1;
  };
  REQUIRE(s.wait_for([&](const std::string& t) { return order(t) != 0; }, kLong));
  s.send("F6");
  REQUIRE(s.wait_for_text("Sort by:", kLong));
  s.send("Home");
  s.send("Enter");
  REQUIRE(s.wait_for([&](const std::string& t) { return order(t) == 1 && t.find("Sort by:") == std::string::npos; }, kLong));
  s.send("I");
  REQUIRE(s.wait_for([&](const std::string& t) { return order(t) == -1; }, kLong));
  INFO(s.text());
  s.send("q");
}

TEST_CASE("top's detail view shows the process's bss and its threads' stacks", "[top][tmux]") {
  REQUIRE(tmux_usable());
  Fixture fx("segments");
  const std::string pid = std::to_string(pid_of(fx));
  TmuxSession s(top_argv({"-p", pid}), 140, 60, kUtf8);
  // The process's row, a line that starts with its pid (a 5-digit pid fills the PID column: no blank
  // before it); not its command, the fixture's full path, which may be cut at 140 columns.
  REQUIRE(s.wait_for([&](const std::string& t) { return std::regex_search(t, std::regex("(^|\n) *" + pid + " ")); }, kLong));
  s.send("Enter");
  const bool ok = s.wait_for([](const std::string& t) {
    return t.find("Memory segments") != std::string::npos && std::regex_search(t, std::regex("\nbss +[0-9]+ ")) &&
           t.find("thread-stack") != std::string::npos && t.find("size: text") != std::string::npos;
  }, kLong);
  INFO(s.text());
  REQUIRE(ok);
  const json facts = json::parse(fx.facts());
  for (const json& th : facts["threads"]) CHECK(s.text().find("tid " + std::to_string(th["tid"].get<int>())) != std::string::npos);
  s.send("Escape");
  REQUIRE(s.wait_for_text("COMMAND", kLong));
  s.send("q");
}

TEST_CASE("top's events pane shows a fixture's clones with their verdicts", "[top][tmux][bpf]") {
  const auto sup = ts::bpf::probe_support();
  TS_BPF_GATE(sup.usable, sup.why);
  REQUIRE(tmux_usable());
  Fixture fx("clone_zoo");
  const int pid = pid_of(fx);
  TmuxSession s(top_argv({}), 200, 50, kUtf8);
  REQUIRE(s.wait_for_text("COMMAND", kLong));
  s.send("\\");  // the filter applies to the events too: this machine may be busy with other work
  s.send("clone_zoo", true);
  s.send("Enter");
  s.send("e");
  REQUIRE(s.wait_for_text("seen,", kLong));
  REQUIRE(kill(pid, SIGUSR1) == 0);
  const std::string who = std::to_string(pid) + " (clone_zoo) -> ";
  const bool ok = s.wait_for([&](const std::string& t) {
    const std::string fork = line_with(t, who);
    return t.find(who) != std::string::npos && std::regex_search(t, std::regex(" clone +" + std::to_string(pid) + " \\(clone_zoo\\) -> " + std::to_string(pid) + "/[0-9]+  thread")) &&
           std::regex_search(t, std::regex(" clone +" + std::to_string(pid) + " \\(clone_zoo\\) -> [0-9]+  process  ")) && !fork.empty();
  }, kLong);
  INFO(s.text());
  CHECK(ok);
  s.send("q");
}

TEST_CASE("top's G/M/P pane shows a goro program's Ps, and its Ms joined to their LWP rows", "[top][tmux][goro]") {
  REQUIRE(tmux_usable());
  Fixture fx("goro_gmp_target", {"2"});
  const std::string pid = std::to_string(pid_of(fx));
  TmuxSession s(top_argv({"-H", "-p", pid}), 180, 50, kUtf8);
  // In thread mode the LWP of an M shows "M<n> → G<id> <function>".
  const bool joined = s.wait_for([](const std::string& t) { return std::regex_search(t, std::regex("  M[0-9]+ \u2192 G[0-9]+")); }, kLong);
  INFO(s.text());
  REQUIRE(joined);
  s.send("g");
  const bool pane = s.wait_for([&](const std::string& t) {
    return t.find("G/M/P of pid " + pid) != std::string::npos && t.find("\nP0 ") != std::string::npos &&
           t.find("\nP1 ") != std::string::npos && std::regex_search(t, std::regex("\nM[0-9]+ +[0-9]+ +[^ ]")) &&
           t.find("waiting (chan receive)") != std::string::npos;
  }, kLong);
  INFO(s.text());
  CHECK(pane);
  s.send("Escape");
  s.send("q");
}

TEST_CASE("top's stack pane (s) shows the selected process's and thread's stacks, as taskscope stack prints them",
          "[top][tmux][stack]") {
  REQUIRE(tmux_usable());
  Fixture fx("stack_chain");
  const json facts = json::parse(fx.facts());
  const std::string pid = std::to_string(facts["pid"].get<int>());
  std::string blocker_tid;
  for (const json& th : facts["threads"])
    if (th["name"] == "blocker") blocker_tid = std::to_string(th["tid"].get<int>());
  REQUIRE(!blocker_tid.empty());
  TmuxSession s(top_argv({"-H", "-p", pid}), 160, 60, kUtf8);
  REQUIRE(s.wait_for_text("blocker", kLong));
  // The process row (selected first): every thread, the blocker's chain and the spinner's.
  s.send("s");
  bool ok = s.wait_for([&](const std::string& t) {
    return t.find("Stacks of pid " + pid) != std::string::npos && t.find("chain_mid") != std::string::npos &&
           t.find("spin_top") != std::string::npos;
  }, kLong);
  INFO(s.text());
  REQUIRE(ok);
  s.send("Escape");
  REQUIRE(s.wait_for_text("COMMAND", kLong));
  // One thread: its own stack only.
  s.send("/");
  s.send("blocker", true);
  s.send("Enter");
  REQUIRE(s.wait_for([](const std::string& t) { return t.find("Search:") == std::string::npos; }, kLong));
  s.send("s");
  ok = s.wait_for([&](const std::string& t) {
    return t.find("Stack of thread " + blocker_tid + " of pid " + pid) != std::string::npos &&
           t.find("chain_leaf") != std::string::npos && t.find("taken in") != std::string::npos;
  }, kLong);
  INFO(s.text());
  REQUIRE(ok);
  CHECK(s.text().find("spin_top") == std::string::npos);
  s.send("Escape");
  REQUIRE(s.wait_for_text("COMMAND", kLong));
  s.send("q");
}

TEST_CASE("top marks a Go program go1.x in RT, joins its Ms to their LWPs and shows its G/M/P pane", "[top][tmux][go]") {
  REQUIRE(tmux_usable());
  Fixture fx("go_gmp_target", {"2"});
  const json facts = json::parse(fx.facts());
  const std::string pid = std::to_string(facts["pid"].get<int>());
  std::string version = facts["go_version"];  // "go1.19.8": RT shows "go1.19"
  version = version.substr(0, version.find('.', version.find('.') + 1));
  Fixture goro("goro_gmp_target", {"1"});
  const std::string goro_pid = std::to_string(pid_of(goro));
  TmuxSession s(top_argv({"-H", "-p", pid + "," + goro_pid}), 200, 60, kUtf8);
  // The RT column: the Go version on the Go program's rows, goro on the goro program's.
  bool ok = s.wait_for([&](const std::string& t) {
    return std::regex_search(t, std::regex("\\n *" + pid + " .* " + version + " ")) &&
           std::regex_search(t, std::regex("\\n *" + goro_pid + " .* goro "));
  }, kLong);
  INFO(s.text());
  REQUIRE(ok);
  CHECK(s.text().find(" RT ") != std::string::npos);
  // In thread mode the LWP of a Go M shows "M<n> → G<id> <function>" (the spinning goroutine runs).
  ok = s.wait_for([&](const std::string& t) {
    return std::regex_search(t, std::regex("\\n *" + pid + " +[0-9]+ .*M[0-9]+ \u2192 G[0-9]+ main\\."));
  }, kLong);
  INFO(s.text());
  REQUIRE(ok);
  s.send("/");
  s.send("go_gmp_target", true);
  s.send("Enter");
  REQUIRE(s.wait_for([](const std::string& t) { return t.find("Search:") == std::string::npos; }, kLong));
  s.send("g");
  ok = s.wait_for([&](const std::string& t) {
    return t.find("G/M/P of pid " + pid) != std::string::npos && t.find("\nP0 ") != std::string::npos &&
           std::regex_search(t, std::regex("\\nM[0-9]+ +[0-9]+ +[^ ]")) && t.find("waiting (chan receive)") != std::string::npos;
  }, kLong);
  INFO(s.text());
  CHECK(ok);
  s.send("Escape");
  s.send("q");
}

TEST_CASE("the graph-first layout's charts rise while a process burns a CPU", "[top][tmux]") {
  REQUIRE(tmux_usable());
  const pid_t burner = fork();
  REQUIRE(burner >= 0);
  if (burner == 0) {
    raise(SIGSTOP);  // the test lets it run once the charts are seen flat
    volatile unsigned long spins = 0;
    for (;;) spins = spins + 1;
  }
  struct Reap {
    pid_t p;
    ~Reap() {
      kill(p, SIGKILL);
      waitpid(p, nullptr, 0);
    }
  } reap{burner};
  TmuxSession s(top_argv({"-p", std::to_string(burner)}), 120, 40, kUtf8);
  REQUIRE(s.wait_for_text("COMMAND", kLong));
  s.send("a");
  const std::string title = "pid " + std::to_string(burner) + " CPU ";
  REQUIRE(s.wait_for([&](const std::string& t) { return t.find(title + "0.0%") != std::string::npos; }, kLong));
  kill(burner, SIGCONT);
  // Its CPU% chart (bottom right) reaches past a quarter of a CPU, however loaded the machine.
  const bool rose = s.wait_for([&](const std::string& t) {
    const std::string l = line_with(t, title);
    const size_t at = l.find(title);
    return at != std::string::npos && std::atof(l.c_str() + at + title.size()) > 25;
  }, kLong);
  INFO(s.text());
  CHECK(rose);
  s.send("q");
}

TEST_CASE("top shrinks to 20x5 and grows back without losing its state", "[top][tmux]") {
  REQUIRE(tmux_usable());
  Fixture fx("named_threads", {"2"});
  TmuxSession s(top_argv({"-p", std::to_string(pid_of(fx))}), 120, 30, kUtf8);
  REQUIRE(s.wait_for_text("Load average", kLong));
  s.resize(20, 5);
  REQUIRE(s.wait_for([](const std::string& t) { return t.find("F1") != std::string::npos && t.find("Load") == std::string::npos; }, kLong));
  CHECK(s.alive());
  for (const std::string& l : s.screen()) CHECK(l.size() <= 20 * 3);
  s.send("H");  // keys still work at that size
  s.resize(120, 30);
  REQUIRE(s.wait_for([](const std::string& t) { return t.find("worker-1") != std::string::npos && t.find("Load average") != std::string::npos; }, kLong));
  s.send("q");
  const bool ended = s.wait_for([&](const std::string&) { return s.exit_status() != -1; }, kLong);
  INFO("alive " << s.alive() << " pid " << s.pid() << "\n" << s.text());
  REQUIRE(ended);
  CHECK(s.exit_status() == 0);
}

TEST_CASE("q, SIGTERM and a crash signal all give the terminal back as it was", "[top][tmux]") {
  REQUIRE(tmux_usable());
  for (const char* how : {"q", "TERM", "SEGV"}) {
    INFO(how);
    const std::string script = "stty -a | grep -o -- ' -\\?icanon' > /dev/null; echo BEFORE-TOP; " + taskscope_bin() +
                               " top -d 0.5; echo \"AFTER-TOP status $?\"; stty -a | grep -o -- ' -\\?icanon \\| -\\?echo '; sleep 60";
    TmuxSession s({"sh", "-c", script}, 100, 30, kUtf8);
    REQUIRE(s.wait_for_text("COMMAND", kLong));
    CHECK(s.text().find("BEFORE-TOP") == std::string::npos);  // the viewer has the whole screen
    if (std::string(how) == "q") s.send("q");
    else kill(first_child(s.pid()), std::string(how) == "TERM" ? SIGTERM : SIGSEGV);
    const bool back = s.wait_for([](const std::string& t) { return t.find("AFTER-TOP") != std::string::npos && t.find("\n echo") != std::string::npos; }, kLong);
    const std::string t = s.text();
    INFO(t);
    REQUIRE(back);
    CHECK(t.find("BEFORE-TOP") != std::string::npos);  // the screen before top is back
    CHECK(t.find("COMMAND") == std::string::npos);
    CHECK(t.find(" icanon") != std::string::npos);  // line editing and echo are on again
    CHECK(t.find("\n echo\n") != std::string::npos);  // (capture-pane drops the blank after it)
    CHECK(t.find("-echo") == std::string::npos);
    CHECK(t.find("-icanon") == std::string::npos);
    const std::string want = std::string(how) == "q" ? "status 0" : std::string(how) == "TERM" ? "status 143" : "status 139";
    CHECK(t.find("AFTER-TOP " + want) != std::string::npos);
  }
}
