// registry.cpp: the subcommand registry and the top-level command line.
#include "registry.h"

#include <algorithm>
#include <exception>
#include <map>

#include "model/error.h"
#include "output.h"
#include "sys/text.h"

namespace ts::tools {

namespace {

// deepest() is the deepest subcommand parsed so far in `app`; `path` gets its command line name
// ("taskscope trace").
CLI::App* deepest(CLI::App& app, std::string& path) {
  CLI::App* at = &app;
  path = "taskscope";
  for (;;) {
    const auto subs = at->get_subcommands();
    if (subs.empty()) return at;
    at = subs.front();
    path += " " + at->get_name();
  }
}

// choices() is "a, b or c" for the subcommands of `app`.
std::string choices(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return s;
}

// usage_message() turns a CLI11 parse error into one line: which command, what is wrong, where help is.
std::string usage_message(CLI::App& app, const CLI::ParseError& e) {
  std::string path;
  CLI::App* at = deepest(app, path);
  const bool top = at == &app;
  const char* what = top ? "command" : "event";
  if (at->get_require_subcommand_min() > 0 && at->get_subcommands().empty()) {
    const std::vector<std::string> rest = at->remaining();
    const std::string prefix = top ? "" : path.substr(std::string("taskscope ").size()) + ": ";
    if (!rest.empty() && !rest.front().empty() && rest.front()[0] != '-')
      return prefix + "unknown " + what + " '" + rest.front() + "' (use " + choices(*at) + "; see " + path + " --help)";
    if (rest.empty())
      return prefix + "which " + what + "? use " + choices(*at) + " (see " + path + " --help)";
  }
  std::string msg = e.what();
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  if (!msg.empty() && msg[0] >= 'A' && msg[0] <= 'Z' && (msg.size() < 2 || msg[1] < 'A' || msg[1] > 'Z'))
    msg[0] = static_cast<char>(msg[0] - 'A' + 'a');
  return (top ? "" : path.substr(std::string("taskscope ").size()) + ": ") + msg + " (see " + path + " --help)";
}

}  // namespace

void add_source_option(CLI::App& app, std::string& source) {
  app.add_option("--source", source, "where data comes from: auto, proc or bpf")
      ->option_text("SOURCE")
      ->check(CLI::IsMember({"auto", "proc", "bpf"}));
}

std::vector<Entry>& registry() {
  static std::vector<Entry> entries;
  return entries;
}

Registration::Registration(const char* name, const char* summary, Setup setup, int order) {
  registry().push_back(Entry{name, summary, std::move(setup), order});
}

int run_cli(int argc, const char* const* argv, Context& ctx) {
  CLI::App app{"taskscope: see Linux processes, threads (LWPs) and coroutines, and measure them", "taskscope"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "taskscope 0.1");
  auto entries = registry();
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.order != b.order ? a.order < b.order : std::string(a.name) < b.name;
  });
  std::map<CLI::App*, Runner> runners;
  for (const Entry& e : entries) {
    CLI::App* sub = app.add_subcommand(e.name, e.summary);
    runners[sub] = e.setup(*sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, --version: CLI11 prints them
      app.exit(e, ctx.out, ctx.err);
      try {
        check_output(ctx.out);
      } catch (const ts::Error& w) {
        ctx.err << "taskscope: " << w.what() << '\n';
        return 1;
      }
      return 0;
    }
    ctx.err << "taskscope: " << sys::printable(usage_message(app, e)) << '\n';
    return 2;
  }
  try {
    int rc = 2;
    for (auto& [sub, run] : runners)
      if (sub->parsed()) {
        rc = run(ctx);
        break;
      }
    check_output(ctx.out);
    return rc;
  } catch (const ts::Error& e) {
    ctx.out.flush();
    ctx.err << "taskscope: " << sys::printable(e.what()) << '\n';
    return e.status();
  } catch (const std::exception& e) {
    ctx.out.flush();
    ctx.err << "taskscope: internal error: " << sys::printable(e.what()) << '\n';
    return 1;
  }
}

}  // namespace ts::tools
