// plan.cpp: the two sizes of a bench run.
#include "costs/row.h"

namespace ts::costs {

CostRow make_row(const char* id, const char* kind, const char* title, const char* seed_create,
                 const char* seed_switch, const char* create_how) {
  CostRow row;
  row.id = id;
  row.kind = kind;
  row.title = title;
  row.seed_create = seed_create;
  row.seed_switch = seed_switch;
  row.create_how = create_how;
  return row;
}

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
