// main.cpp: the taskscope binary. Everything lives in the libraries the tests link.
#include <iostream>

#include "registry.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  ts::tools::Context ctx{std::cout, std::cerr};
  return ts::tools::run_cli(argc, argv, ctx);
}
