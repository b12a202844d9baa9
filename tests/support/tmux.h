// tmux.h: driving a full-screen program for real in a detached tmux session: start it at a fixed
// size, send keys, read the screen back with capture-pane. Each session lives on its own tmux
// server socket, so tests never see each other's (or a user's) sessions.
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace ts::test {

// tmux_usable() is true when a tmux binary runs here.
bool tmux_usable();

// TmuxSession is one program running in a detached tmux session of a fixed size.
class TmuxSession {
 public:
  // TmuxSession() starts `argv` (with `env` entries NAME=VALUE added to its environment) in a new
  // session `width` x `height`. TERM inside is tmux's own (tmux-256color or screen). Throws
  // std::runtime_error when tmux cannot start it.
  TmuxSession(const std::vector<std::string>& argv, int width, int height,
              const std::vector<std::string>& env = {});
  // ~TmuxSession() kills the session and its server.
  ~TmuxSession();
  // on_timeout, when set, receives "tmux wait timed out ...; the screen was:" and the last screen of
  // every wait_for() that timed out. The test binaries set it (catch_main.cpp) so that the screen is
  // printed with the assertion that fails next, even where a CI log keeps only the failure.
  static inline std::function<void(const std::string&)> on_timeout;

  TmuxSession(const TmuxSession&) = delete;
  TmuxSession& operator=(const TmuxSession&) = delete;

  // send() sends tmux key names or literal text, as `tmux send-keys` takes them ("q", "Enter",
  // "F9", "Down", "C-c"). literal=true sends the text as typed characters (send-keys -l).
  void send(const std::string& keys, bool literal = false);
  // screen() is the visible pane now, one string per line, trailing blanks trimmed.
  std::vector<std::string> screen();
  // text() is screen() joined with newlines.
  std::string text();
  // wait_for() polls the screen every `every` until `ok(text())` holds or `timeout` passes; returns
  // whether it held. On a timeout the last screen goes to on_timeout (or to stderr when unset).
  bool wait_for(const std::function<bool(const std::string&)>& ok,
                std::chrono::milliseconds timeout = std::chrono::seconds(10),
                std::chrono::milliseconds every = std::chrono::milliseconds(50));
  // wait_for_text() is wait_for() until the screen contains `needle`.
  bool wait_for_text(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // resize() changes the window's size (the program gets SIGWINCH).
  void resize(int width, int height);
  // alive() tells whether the program still runs in the pane.
  bool alive();
  // exit_status() is the program's exit status once it ended and tmux recorded it (-1 before);
  // 128 + the signal for a program a signal killed.
  int exit_status();
  // pid() is the program's pid (the pane's process).
  int pid();

 private:
  std::vector<std::string> tmux(const std::vector<std::string>& args);
  std::string socket_;  // -L name of this session's private server
};

}  // namespace ts::test
