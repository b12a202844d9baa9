/* bench_exec_helper.c: the tiny static program `taskscope bench` starts with vfork+exec
 * (installed as libexec/taskscope/bench-exec). Without arguments it exits at once: the exec row's
 * create figure is the kernel's work, not a dynamic loader's. With "wait" it says "{}" on stdout
 * and sleeps until its stdin closes: the exec row's memory figure is its RSS then. */
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "wait") == 0) {
    char c;
    if (write(1, "{}\n", 3) != 3) return 1;
    while (read(0, &c, 1) > 0) {
    }
  }
  return 0;
}
