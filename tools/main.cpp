// main.cpp: the taskscope binary. Everything lives in the libraries the tests link.
#include <iostream>

#include "output.h"
#include "registry.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  ts::tools::FdOutBuf stdout_buf(1);
  std::ostream out(&stdout_buf);
  ts::tools::Context ctx{out, std::cerr};
  return ts::tools::run_cli(argc, argv, ctx);
}
