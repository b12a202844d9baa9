// registry.h: how a subcommand file makes itself part of `taskscope`.
#pragma once
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ts::tools {

// Context is what a running subcommand writes to. Tests pass string streams.
struct Context {
  std::ostream& out;  // results (tables, NDJSON)
  std::ostream& err;  // diagnostics, notes, warnings
};

// Runner runs a parsed subcommand and returns its exit status (0 ok, 1 failure, 2 usage).
// It may throw ts::Error; the caller prints "taskscope: <message>" and exits with its status.
using Runner = std::function<int(Context&)>;

// Setup declares a subcommand's options on `app` (bound to state it owns) and returns its Runner.
using Setup = std::function<Runner(CLI::App& app)>;

// Registration adds a subcommand to the registry when constructed at namespace scope:
//   static const Registration reg{"ps", "list processes and threads", setup_ps};
// Subcommands are listed in --help in the order of `order`, then by name.
struct Registration {
  // Registration() records the subcommand; `name` and `summary` must be string literals.
  Registration(const char* name, const char* summary, Setup setup, int order = 50);
};

// Entry is one registered subcommand.
struct Entry {
  const char* name;
  const char* summary;
  Setup setup;
  int order;
};

// add_source_option() declares --source SOURCE (auto, proc or bpf), bound to `source`: the one
// definition every subcommand that reads tasks shares (make_source's kinds).
void add_source_option(CLI::App& app, std::string& source);

// registry() returns every registered subcommand.
std::vector<Entry>& registry();

// run_cli() parses argv (argv[0] is the program) and runs the chosen subcommand, writing to `ctx`.
// Returns the exit status: 0 ok, 1 failure, 2 usage. Never throws.
int run_cli(int argc, const char* const* argv, Context& ctx);

}  // namespace ts::tools
