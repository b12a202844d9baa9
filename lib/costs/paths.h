// paths.h: where the files taskscope bench ships beside its binary are, installed or in the
// build tree (both lay them out the same way: bin/, libexec/taskscope/, share/taskscope/).
#pragma once
#include <string>

namespace ts::costs {

// exec_helper_path() is the tiny static program the vfork+exec row starts:
// <prefix>/libexec/taskscope/bench-exec, <prefix> being the directory above the running binary's.
std::string exec_helper_path();

// go_source_dir() is the Go program the Go row builds: <prefix>/share/taskscope/bench-go.
std::string go_source_dir();

// cache_dir() is where built programs are kept: $XDG_CACHE_HOME/taskscope, else
// $HOME/.cache/taskscope. Throws ts::Error when neither variable is set.
std::string cache_dir();

}  // namespace ts::costs
