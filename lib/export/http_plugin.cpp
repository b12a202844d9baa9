// http_plugin.cpp: finding and loading the HTTP server plugin (plugins/http).
#include "export/http_server.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "model/error.h"

namespace ts::exporter {

std::string http_plugin_path() {
  if (const char* env = std::getenv("TASKSCOPE_HTTP_PLUGIN"); env && *env) return env;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "lib/taskscope/http.so";
  return (exe.parent_path().parent_path() / "lib" / "taskscope" / "http.so").string();
}

std::unique_ptr<HttpServer> make_http_server(const HttpConfig& config) {
  using Make = HttpServer* (*)(const HttpConfig*);
  static std::once_flag once;
  static Make make = nullptr;
  static std::string error;
  const std::string path = http_plugin_path();
  std::call_once(once, [&] {
    // Kept loaded for the process's life: its code runs on the server's threads until they end.
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = dlerror();
      error = e ? e : "dlopen failed";
      return;
    }
    make = reinterpret_cast<Make>(dlsym(h, kHttpPluginSymbol));
    if (!make) error = std::string("no ") + kHttpPluginSymbol + " in it";
  });
  if (!make)
    throw Error("cannot load the HTTP server plugin " + path + ": " + error +
                    " (build it with make, or reinstall taskscope; TASKSCOPE_HTTP_PLUGIN names another)",
                1);
  std::unique_ptr<HttpServer> s(make(&config));
  if (!s) throw Error("the HTTP server plugin " + path + " made no server", 1);
  return s;
}

}  // namespace ts::exporter
