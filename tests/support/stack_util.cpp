// stack_util.cpp: see stack_util.h.
#include "stack_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace ts::test {

StackRun stack_json(int pid, const std::vector<std::string>& args) {
  StackRun s;
  std::vector<std::string> argv{taskscope_bin(), "stack", std::to_string(pid), "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  s.r = run(argv);
  for (const std::string& l : lines(s.r.out)) {
    if (l.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(l);
    if (j["type"] == "thread") s.threads[j["tid"].get<int>()] = j;
    else if (j["type"] == "goroutine") s.gs[j["goid"].get<uint64_t>()] = j;
    else if (j["type"] == "end") s.end = j;
  }
  return s;
}

std::vector<std::string> functions(const nlohmann::json& frames) {
  std::vector<std::string> v;
  for (const auto& f : frames) v.push_back(f["function"].is_string() ? f["function"].get<std::string>() : "??");
  return v;
}

std::string bare(const std::string& fn) {
  std::string s = fn.substr(0, fn.find(" [clone"));
  // Drop the parameter list: the last balanced "(...)" at the end.
  for (const char* q : {" const", " &&", " &"})
    if (s.size() > std::string(q).size() && s.ends_with(q)) s.resize(s.size() - std::string(q).size());
  if (s.ends_with(")")) {
    int depth = 0;
    for (size_t i = s.size(); i-- > 0;) {
      if (s[i] == ')') ++depth;
      else if (s[i] == '(' && --depth == 0) {
        s.resize(i);
        break;
      }
    }
  }
  // Drop the return type ("int chain::leaf<int>") and the scope, outside template brackets.
  int depth = 0;
  size_t cut = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') ++depth;
    else if (s[i] == '>') --depth;
    else if (depth == 0 && s[i] == ' ') cut = i + 1;
    else if (depth == 0 && s[i] == ':' && i + 1 < s.size() && s[i + 1] == ':') cut = i + 2;
  }
  return s.substr(cut);
}

std::map<int, char> task_states(int pid) {
  std::map<int, char> states;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return states;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream f(dir + "/" + e->d_name + "/stat");
    std::string line;
    if (!std::getline(f, line)) continue;
    const auto close = line.rfind(')');
    if (close != std::string::npos && close + 2 < line.size()) states[std::atoi(e->d_name)] = line[close + 2];
  }
  closedir(d);
  return states;
}

pid_t start_quiet(const std::vector<std::string>& argv) {
  const int in = open("/dev/null", O_RDONLY | O_CLOEXEC), out = open("/dev/null", O_WRONLY | O_CLOEXEC);
  const pid_t pid = spawn(argv, in, out, out);
  close(in);
  close(out);
  return pid;
}

std::vector<std::string> traced_or_stopped(int pid) {
  std::vector<std::string> out;
  for (const auto& [tid, state] : task_states(pid)) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
    int tracer = 0;
    for (std::string line; std::getline(f, line);)
      if (line.rfind("TracerPid:", 0) == 0) tracer = std::atoi(line.c_str() + 10);
    if (state == 'T' || state == 't' || tracer != 0)
      out.push_back(std::to_string(tid) + ":" + state + (tracer ? " traced by " + std::to_string(tracer) : ""));
  }
  return out;
}

bool all_stopped(int pid) {
  const std::map<int, char> states = task_states(pid);
  for (const auto& [tid, state] : states)
    if (state != 'T') return false;
  return !states.empty();
}

}  // namespace ts::test
