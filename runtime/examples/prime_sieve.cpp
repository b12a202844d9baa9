// prime_sieve: the classic Go concurrent prime sieve: a chain of goroutines joined by unbuffered
// channels, one filter per prime found, every number handed from G to G.
//
//   build/rel/examples/prime_sieve [N] [--wait]   (default N = 100)
//
// Prints the first N primes. With --wait it then keeps the pipeline alive (N filters parked in
// "chan send" / "chan receive", the generator in "select") until stdin reaches end of file, to be
// looked at. Then it shuts the pipeline down the Go way: the generator closes its channel, each
// filter drains its input and closes its output, and main drains the last one.
//   build/rel/examples/prime_sieve 1000 --wait &  taskscope gmp $!
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <optional>

#include "goro/goro.h"

namespace {

// generate() sends 2, 3, 4, ... on ch until quit is closed, then closes ch.
void generate(goro::chan<int> ch, goro::chan<int> quit) {
  bool done = false;
  for (int i = 2; !done; ++i) {
    goro::select(goro::on_send(ch, i), goro::on_recv(quit, [&](std::optional<int>) { done = true; }));
  }
  ch.close();
}

// filter() copies from in to out the values not divisible by prime, until in is closed.
void filter(goro::chan<int> in, goro::chan<int> out, int prime) {
  for (int i : in) {
    if (i % prime != 0) out.send(i);
  }
  out.close();
}

}  // namespace

int main(int argc, char** argv) {
  long n = 100;
  bool wait = false;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--wait") == 0) wait = true;
    else n = strtol(argv[i], nullptr, 10);
  }
  if (n <= 0 || n > 1'000'000) {
    fprintf(stderr, "prime_sieve: N must be 1..1000000\n");
    return 2;
  }
  return goro::run([&] {
    goro::chan<int> ch, quit;
    goro::go([ch, quit] { generate(ch, quit); });
    for (long i = 0; i < n; ++i) {
      int prime = *ch.recv();
      printf("%d\n", prime);
      goro::chan<int> next;
      goro::go([ch, next, prime] { filter(ch, next, prime); });
      ch = next;
    }
    fflush(stdout);
    if (wait) {
      fprintf(stderr, "prime_sieve: pid %d: %ld filters parked; close stdin to exit\n", getpid(), n);
      char b[256];
      while (goro::syscall([&] { return ::read(0, b, sizeof b); }) > 0) {
      }
    }
    quit.close();
    for (int rest : ch) (void)rest;  // values in flight; ends when the close reaches us
  });
}
