// registry.cpp: the subcommand registry and the top-level command line.
#include "registry.h"

#include <algorithm>
#include <exception>
#include <map>

#include "model/error.h"

namespace ts::tools {

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
    // CLI11 prints help/version to its streams; keep them, and map errors to status 2.
    const int rc = app.exit(e, ctx.out, ctx.err);
    return rc == 0 ? 0 : 2;
  }
  try {
    for (auto& [sub, run] : runners)
      if (sub->parsed()) return run(ctx);
    return 2;
  } catch (const ts::Error& e) {
    ctx.out.flush();
    ctx.err << "taskscope: " << e.what() << '\n';
    return e.status();
  } catch (const std::exception& e) {
    ctx.out.flush();
    ctx.err << "taskscope: internal error: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace ts::tools
