// plan.cpp: the two sizes of a bench run.
#include "costs/row.h"

namespace ts::costs {

Plan Plan::full() { return Plan{}; }

Plan Plan::quick() {
  Plan p;
  p.rounds = 3;
  p.fork_batch = 40;
  p.exec_batch = 20;
  p.thread_batch = 100;
  p.g_batch = 5000;
  p.trips = 1000;
  p.yields = 20000;
  p.chan_trips = 5000;
  p.park_threads = 64;
  p.park_gs = 2048;
  return p;
}

}  // namespace ts::costs
