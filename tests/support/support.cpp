// support.cpp: running programs and fixtures from tests.
#include "support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <cstdlib>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ts::test {

std::string build_dir() { return TS_BUILD_DIR; }
std::string taskscope_bin() { return build_dir() + "/bin/taskscope"; }
std::string fixture_path(const std::string& name) { return build_dir() + "/fixtures/" + name; }

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool bpf_required() {
  const char* v = std::getenv("TASKSCOPE_REQUIRE_BPF");
  return v && std::string(v) == "1";
}

namespace {

int decode_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

}  // namespace

// spawn(): see support.h.
pid_t spawn(const std::vector<std::string>& argv, int in, int out, int err, const std::vector<int>& close_fds) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (in >= 0) posix_spawn_file_actions_adddup2(&fa, in, 0);
  if (out >= 0) posix_spawn_file_actions_adddup2(&fa, out, 1);
  if (err >= 0) posix_spawn_file_actions_adddup2(&fa, err, 2);
  for (int fd : close_fds) posix_spawn_file_actions_addclose(&fa, fd);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  // posix_spawnp: a bare name ("tmux") is looked up in PATH; a path is used as it is.
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  int o[2], e[2];
  if (pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC)) throw std::runtime_error("pipe failed");
  const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t pid = spawn(argv, devnull, o[1], e[1], {});
  close(devnull);
  close(o[1]);
  close(e[1]);
  RunResult r;
  struct pollfd fds[2] = {{o[0], POLLIN, 0}, {e[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (open_fds > 0) {
    int wait_ms = -1;
    if (timeout.count() > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 && !r.timed_out) {
        kill(pid, SIGKILL);  // its pipes close when it dies; read what it wrote until then
        r.timed_out = true;
      }
      wait_ms = r.timed_out ? -1 : static_cast<int>(left.count());
    }
    if (poll(fds, 2, wait_ms) < 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) (i ? r.err : r.out).append(buf, static_cast<size_t>(n));
      else { close(fds[i].fd); fds[i].fd = -1; --open_fds; }
    }
  }
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = decode_status(st);
  return r;
}

Fixture::Fixture(const std::string& name, const std::vector<std::string>& args) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv{fixture_path(name)};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = spawn(argv, in[0], out[1], -1, {});
  close(in[0]);
  close(out[1]);
  in_fd_ = in[1];
  out_fd_ = out[0];
  bool whole = false;
  facts_ = read_line(std::chrono::seconds(10), &whole);
  if (whole) return;
  stop();
  throw std::runtime_error("fixture " + name + " printed no facts line (got: '" + facts_ + "')");
}

std::string Fixture::read_line(std::chrono::milliseconds timeout, bool* whole) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string line;
  char c;
  if (whole) *whole = false;
  while (out_fd_ >= 0 && std::chrono::steady_clock::now() < deadline) {
    struct pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    if (read(out_fd_, &c, 1) != 1) break;
    if (c == '\n') {
      if (whole) *whole = true;
      break;
    }
    line += c;
  }
  return line;
}

bool Fixture::send(const std::string& bytes) {
  return in_fd_ >= 0 && write(in_fd_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
}

int Fixture::stop() {
  if (pid_ < 0) return status_;
  if (in_fd_ >= 0) { close(in_fd_); in_fd_ = -1; }
  int st = 0;
  for (int i = 0; i < 500; ++i) {  // up to 5 s for a clean exit
    const pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) { status_ = decode_status(st); break; }
    if (i == 499) { kill(pid_, SIGKILL); waitpid(pid_, &st, 0); status_ = decode_status(st); }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (out_fd_ >= 0) { close(out_fd_); out_fd_ = -1; }
  pid_ = -1;
  return status_;
}

Fixture::~Fixture() { stop(); }

void forget_stale_goro_segment(pid_t pid) { unlink(("/dev/shm/goro." + std::to_string(pid)).c_str()); }

int raw_control(const std::string& text, char allowed) {
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != static_cast<unsigned char>(allowed)) || c == 0x7f) return c;
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xa0) return 0x80;
  }
  return -1;
}

}  // namespace ts::test
