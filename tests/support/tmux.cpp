// tmux.cpp: TmuxSession over the tmux command line.
#include "tmux.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support.h"

namespace ts::test {

namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string rtrim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

bool tmux_usable() {
  try {
    return run({"tmux", "-V"}).status == 0;
  } catch (const std::exception&) {
    return false;
  }
}

std::vector<std::string> TmuxSession::tmux(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"tmux", "-L", socket_, "-f", "/dev/null"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = run(argv);
  if (r.status != 0) throw std::runtime_error("tmux " + args.front() + " failed: " + r.err);
  return lines(r.out);
}

TmuxSession::TmuxSession(const std::vector<std::string>& argv, int width, int height,
                         const std::vector<std::string>& env) {
  static std::atomic<int> seq{0};
  socket_ = "ts-test-" + std::to_string(getpid()) + "-" + std::to_string(seq++);
  // The pane runs a shell line: the environment, then the program; the pane stays after it exits
  // (remain-on-exit) so its status can be read.
  std::string cmd = "exec env";
  for (const std::string& e : env) cmd += " " + quote(e);
  for (const std::string& a : argv) cmd += " " + quote(a);
  tmux({"new-session", "-d", "-s", "t", "-x", std::to_string(width), "-y", std::to_string(height), "sh", "-c",
        "sleep 0.05; " + cmd});
  tmux({"set-option", "-t", "t", "remain-on-exit", "on"});
  tmux({"set-option", "-t", "t", "status", "off"});
  tmux({"resize-window", "-t", "t", "-x", std::to_string(width), "-y", std::to_string(height)});
}

TmuxSession::~TmuxSession() {
  try {
    run({"tmux", "-L", socket_, "kill-server"});
  } catch (const std::exception&) {
  }
}

void TmuxSession::send(const std::string& keys, bool literal) {
  if (literal) tmux({"send-keys", "-t", "t", "-l", keys});
  else tmux({"send-keys", "-t", "t", keys});
}

std::vector<std::string> TmuxSession::screen() {
  std::vector<std::string> out = tmux({"capture-pane", "-p", "-t", "t"});
  for (std::string& l : out) l = rtrim(l);
  return out;
}

std::string TmuxSession::text() {
  std::string t;
  for (const std::string& l : screen()) t += l + "\n";
  return t;
}

bool TmuxSession::wait_for(const std::function<bool(const std::string&)>& ok, std::chrono::milliseconds timeout,
                           std::chrono::milliseconds every) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::string t = text();
    if (ok(t)) return true;
    if (std::chrono::steady_clock::now() > end) {
      const std::string what = "tmux wait timed out after " + std::to_string(timeout.count()) + " ms; the screen was:\n" + t;
      if (on_timeout) on_timeout(what);
      else fprintf(stderr, "%s\n", what.c_str());
      return false;
    }
    std::this_thread::sleep_for(every);
  }
}

bool TmuxSession::wait_for_text(const std::string& needle, std::chrono::milliseconds timeout) {
  return wait_for([&](const std::string& t) { return t.find(needle) != std::string::npos; }, timeout);
}

void TmuxSession::resize(int width, int height) {
  tmux({"resize-window", "-t", "t", "-x", std::to_string(width), "-y", std::to_string(height)});
}

bool TmuxSession::alive() {
  const auto l = tmux({"display-message", "-p", "-t", "t", "#{pane_dead}"});
  return !l.empty() && l[0] == "0";
}

namespace {

// zombie_exit_status() is the exit status (128 + signal when killed) of `pid` if it is a zombie,
// from /proc/PID/stat's exit_code; -1 when it is not (yet) one.
int zombie_exit_status(int pid) {
  if (pid <= 0) return -1;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::stringstream rest(stat.substr(close + 1));
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  for (std::string x; rest >> x;) fields.push_back(x);
  if (fields.size() < 50 || fields[0] != "Z") return -1;
  const int code = std::atoi(fields[49].c_str());  // field 52
  if (WIFEXITED(code)) return WEXITSTATUS(code);
  if (WIFSIGNALED(code)) return 128 + WTERMSIG(code);
  return -1;
}

}  // namespace

int TmuxSession::exit_status() {
  // tmux marks the pane dead a moment before it records the status: -1 until both are there. A
  // program killed by a signal has no status but the signal: 128 + it, as a shell says.
  const auto l = tmux({"display-message", "-p", "-t", "t", "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}:#{pane_pid}"});
  if (l.empty() || l[0].rfind("1:", 0) != 0) return -1;
  std::vector<std::string> f;
  std::stringstream in(l[0].substr(2));
  for (std::string x; std::getline(in, x, ':');) f.push_back(x);
  f.resize(3);
  if (!f[0].empty()) return std::atoi(f[0].c_str());
  if (!f[1].empty()) return 128 + std::atoi(f[1].c_str());
  // tmux 3.3a sometimes leaves its dead child unreaped (a zombie, SIGCHLD seemingly missed) and
  // then never records a status: read the zombie's own exit code (proc(5), stat field 52).
  return zombie_exit_status(std::atoi(f[2].c_str()));
}

int TmuxSession::pid() {
  const auto l = tmux({"display-message", "-p", "-t", "t", "#{pane_pid}"});
  return l.empty() ? -1 : std::stoi(l[0]);
}

}  // namespace ts::test
